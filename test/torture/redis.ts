// The rig's own redis-server on its own port, without persistence: the datastore scenario
// flushes and kills it (never the machine's shared Redis on 6379).
import { type ChildProcess, spawn } from "node:child_process";
import { Redis } from "ioredis";

export class RedisServer {
  private proc: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    this.proc = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    const deadline = Date.now() + 10_000;
    while (!(await this.ping())) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** FLUSHALL: every queue, job, lock and counter gone at once. */
  async flushAll(): Promise<void> {
    const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await c.connect();
    await c.flushall();
    c.disconnect();
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
  }

  private async ping(): Promise<boolean> {
    const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on("error", () => undefined);
    try {
      await c.connect();
      return (await c.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  }
}
