// A real agent process (`datasafe run --json`) for tests: its JSON log lines, waiting for one
// that matches, killing it (gracefully or -9) and its status file; and the set-up the agent tests
// share: an enrolled PC with its agent configured, and polling until something shows.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Pc } from "./cli.ts";
import { ROOT, type TestServer } from "./server.ts";
import { withoutReadOverride } from "./unprivileged.ts";

export type LogLine = { level: string; msg: string } & Record<string, unknown>;

export class AgentProc {
  readonly lines: LogLine[] = [];
  stderr = "";
  private readonly exit: Promise<number | null>;

  private constructor(readonly proc: ChildProcess) {
    let buf = "";
    proc.stdout!.on("data", (b: Buffer) => {
      buf += b.toString();
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.stderr += `(not JSON) ${line}\n`;
        }
      }
    });
    proc.stderr!.on("data", (b: Buffer) => (this.stderr += b.toString()));
    this.exit = new Promise((resolve) => proc.once("exit", (code) => resolve(code)));
  }

  /** `unprivileged`: unable to read a mode-000 file, even when the tests run as root (unprivileged.ts). */
  static start(pc: Pc, opts: { env?: NodeJS.ProcessEnv; unprivileged?: boolean } = {}): AgentProc {
    const argv = [path.join(ROOT, "bin", "datasafe.js"), "run", "--json"];
    const [command, args] = opts.unprivileged ? withoutReadOverride(process.execPath, argv) : [process.execPath, argv];
    const proc = spawn(command, args, { cwd: ROOT, env: pc.env(opts.env), stdio: ["ignore", "pipe", "pipe"] });
    return new AgentProc(proc);
  }

  /** Resolves with the first log line (already seen or coming) matching `pred`; fails after `ms`. */
  async waitFor(pred: (l: LogLine) => boolean, ms: number, what: string): Promise<LogLine> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find(pred);
      if (found) return found;
      if (this.proc.exitCode !== null) throw new Error(`agent exited (${this.proc.exitCode}) before ${what}:\n${this.dump()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${this.dump()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  finished(): LogLine[] {
    return this.lines.filter((l) => l.msg === "backup finished");
  }

  dump(): string {
    return `${this.lines.map((l) => JSON.stringify(l)).join("\n")}\n${this.stderr}`;
  }

  /** SIGTERM (a clean stop) or SIGKILL (a crash); resolves with the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exit;
  }
}

export async function readAgentStatus(
  pc: Pc,
): Promise<Record<string, unknown> & { progress: { bytesDone: number; bytesTotal: number } | null }> {
  return JSON.parse(await readFile(path.join(pc.home, "status.json"), "utf8")) as Record<string, unknown> & {
    progress: { bytesDone: number; bytesTotal: number } | null;
  };
}

/** A six-field cron expression (seconds first) firing once a day, `inMs` from now. */
export function cronIn(inMs: number): string {
  const t = new Date(Date.now() + inMs);
  return `${t.getSeconds()} ${t.getMinutes()} ${t.getHours()} * * *`;
}

/** Root reads anything: agents in tests run without that power, so that a mode-000 file is unreadable (unprivileged.ts). */
export const AS_USER = { unprivileged: true };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first truthy answer of `fn`, asked every 200 ms; fails with `what` after `ms`. */
export async function eventually<T>(what: string, ms: number, fn: () => Promise<T | undefined | null | false>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}

/**
 * A PC enrolled with `token` and its agent configured: `sources` as [folder, watched, excludes],
 * heartbeats every second, then `settings`; a schedule `scheduleInMs` ahead is set last (CLI
 * calls take a while), and `fireAt` is when it fires.
 */
export async function enrolledAgentPc(
  server: TestServer,
  token: string,
  name: string,
  settings: Array<[string, string]>,
  sources: Array<[string, boolean, string[]?]>,
  scheduleInMs?: number,
): Promise<Pc & { fireAt: number }> {
  const pc = await Pc.create(server);
  const e = await pc.run(["enroll", "--token", token, "--name", name]);
  assert.equal(e.code, 0, e.stderr);
  for (const [dir, watch, excludes = []] of sources) {
    const r = await pc.run(["config", "add-source", dir, ...(watch ? ["--watch"] : []), ...excludes.flatMap((p) => ["--exclude", p])]);
    assert.equal(r.code, 0, r.stderr);
  }
  for (const [k, v] of [["heartbeatSeconds", "1"], ...settings]) {
    const r = await pc.run(["config", "set", k!, v!]);
    assert.equal(r.code, 0, r.stderr);
  }
  let fireAt = 0;
  if (scheduleInMs !== undefined) {
    fireAt = Date.now() + scheduleInMs;
    const r = await pc.run(["config", "set", "schedule", cronIn(scheduleInMs)]);
    assert.equal(r.code, 0, r.stderr);
  }
  return Object.assign(pc, { fireAt });
}
