// The API and worker processes of the rig (server/main.ts api|worker, as `npm run start:api` and
// `start:worker` run them), each killable with SIGKILL and restartable with the same settings.
import { type NodeProcess, spawnNode } from "../support/process.ts";
import { SERVER_NODE_FLAGS } from "../support/server.ts";
import type { Backend } from "./balancer.ts";

export class ServerProc {
  private p: NodeProcess | undefined;
  private earlier = "";
  kills = 0;
  readonly backend: Backend;

  constructor(
    readonly name: string,
    readonly role: "api" | "worker",
    private readonly env: NodeJS.ProcessEnv,
    port: number,
  ) {
    this.backend = { name, port, up: false };
  }

  get running(): boolean {
    return this.p !== undefined && this.p.proc.exitCode === null && this.p.proc.signalCode === null;
  }

  logs(): string {
    return this.earlier + (this.p?.output() ?? "");
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.earlier = this.logs();
    const env = this.role === "api" ? { ...this.env, PORT: String(this.backend.port) } : this.env;
    this.p = spawnNode([...SERVER_NODE_FLAGS, "--import", "tsx", "server/main.ts", this.role], { env });
    if (this.role === "api") await this.waitReady();
  }

  /** SIGKILL: no shutdown handler runs, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    this.backend.up = false;
    const p = this.p;
    if (!p || !this.running) return;
    this.kills++;
    p.proc.kill("SIGKILL");
    await p.closed;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited while starting:\n${this.logs().slice(-4000)}`);
      // /healthz: alive and serving (readyz also wants Redis and Postgres, which a scenario may hold down).
      const ok = await fetch(`http://127.0.0.1:${this.backend.port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        this.backend.up = true;
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} not ready in time:\n${this.logs().slice(-4000)}`);
  }
}
