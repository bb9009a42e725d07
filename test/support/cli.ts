// Runs the real CLIs (bin/datasafe.js, bin/datasafe-admin.js) as child processes.
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { DeviceState } from "../../uploader/state.ts";
import { spawnNode } from "./process.ts";
import { ROOT, type TestServer } from "./server.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON object --json promises. */
  json: Record<string, unknown>;
}

export const PASSPHRASE = "correct horse battery staple";

export interface RunOptions {
  /** SIGKILL the process after this many milliseconds (a crash at a random moment). */
  killAfterMs?: number;
  /** Unable to read a mode-000 file, even when the tests run as root (unprivileged.ts). */
  unprivileged?: boolean;
}

export async function run(bin: string, args: string[], env: NodeJS.ProcessEnv, opts: RunOptions = {}): Promise<CliResult> {
  const p = spawnNode([path.join(ROOT, "bin", bin), ...args], { env, unprivileged: opts.unprivileged });
  const killer = opts.killAfterMs === undefined ? undefined : setTimeout(() => p.proc.kill("SIGKILL"), opts.killAfterMs);
  p.proc.on("exit", () => clearTimeout(killer));
  const { code } = await p.closed;
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(p.stdout()) as Record<string, unknown>;
  } catch {
    /* not JSON: the caller asserts on stdout */
  }
  return { code: code ?? -1, stdout: p.stdout(), stderr: p.stderr(), json };
}

export async function admin(server: TestServer, args: string[]): Promise<CliResult> {
  return run("datasafe-admin.js", ["--json", ...args], server.env);
}

/** A studio PC: its own DATASAFE_HOME, talking to `server`. */
export class Pc {
  private constructor(
    readonly home: string,
    private readonly server: TestServer,
    public passphrase: string | undefined,
  ) {}

  static async create(server: TestServer, passphrase: string | undefined = PASSPHRASE): Promise<Pc> {
    return new Pc(await mkdtemp(path.join(server.dir, "pc-")), server, passphrase);
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? os.homedir(),
      DATASAFE_HOME: this.home,
      DATASAFE_SERVER: this.server.url,
      ...(this.passphrase ? { DATASAFE_PASSPHRASE: this.passphrase } : {}),
      ...extra,
    };
  }

  run(args: string[], extra?: NodeJS.ProcessEnv, opts?: RunOptions): Promise<CliResult> {
    return run("datasafe.js", ["--json", ...args], this.env(extra), opts);
  }

  /** What the enrolled device keeps in DATASAFE_HOME/device.json, read as the test runs. */
  async state(): Promise<DeviceState> {
    return JSON.parse(await readFile(path.join(this.home, "device.json"), "utf8")) as DeviceState;
  }

  /** The Authorization header of the device's current API credential. */
  async auth(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${(await this.state()).accessToken}` };
  }
}

/** Creates a studio and returns a fresh one-use token for it. */
export async function newStudio(server: TestServer, name = "Acme Photo"): Promise<{ studioId: string; token: () => Promise<string> }> {
  const created = await admin(server, ["create-studio", "--name", name, "--owner-email", "owner@acme.test"]);
  if (created.code !== 0) throw new Error(`create-studio failed: ${created.stderr}`);
  const studioId = created.json.studioId as string;
  return {
    studioId,
    token: async () => {
      const t = await admin(server, ["enrollment-token", "--studio", studioId]);
      if (t.code !== 0) throw new Error(`enrollment-token failed: ${t.stderr}`);
      return t.json.token as string;
    },
  };
}

/** A new studio with `count` enrolled PCs (the first creates the studio's keys). */
/** One PC enrolled, under `name`, into a new studio. */
export async function enrolledPc(server: TestServer, name: string): Promise<Pc> {
  const studio = await newStudio(server);
  const pc = await Pc.create(server);
  const r = await pc.run(["enroll", "--token", await studio.token(), "--name", name]);
  if (r.code !== 0) throw new Error(`enroll failed: ${r.stderr}`);
  return pc;
}

export async function enrolledPcs(server: TestServer, count: number): Promise<{ studioId: string; pcs: Pc[] }> {
  const studio = await newStudio(server);
  const pcs: Pc[] = [];
  for (let i = 0; i < count; i++) {
    const pc = await Pc.create(server);
    const r = await pc.run(["enroll", "--token", await studio.token(), "--name", `pc-${i + 1}`]);
    if (r.code !== 0) throw new Error(`enroll failed: ${r.stderr}`);
    pcs.push(pc);
  }
  return { studioId: studio.studioId, pcs };
}
