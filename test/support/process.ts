// Node child processes of the tests (the CLIs, the server, extra workers), with their output
// collected as it comes: the one place tests spawn and gather output.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import path from "node:path";
import type { Readable } from "node:stream";
import { withoutReadOverride } from "./unprivileged.ts";

/** The repository's root: the working directory of every process the tests start. */
export const ROOT = path.resolve(import.meta.dirname, "..", "..");

export interface NodeProcess {
  proc: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved as they arrived. */
  output(): string;
  /** Once the process has exited and its output is complete: its exit code, or the signal that ended it. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `node ARGS` in the repository's root. A failure to start rejects `closed`. `unprivileged`:
 * unable to read a mode-000 file, even when the tests run as root (unprivileged.ts).
 */
export function spawnNode(args: string[], o: { env: NodeJS.ProcessEnv; uid?: number; gid?: number; unprivileged?: boolean }): NodeProcess {
  const [command, argv] = o.unprivileged ? withoutReadOverride(process.execPath, args) : [process.execPath, args];
  const proc = spawn(command, argv, { cwd: ROOT, env: o.env, stdio: ["ignore", "pipe", "pipe"], uid: o.uid, gid: o.gid });
  let stdout = "";
  let stderr = "";
  let output = "";
  proc.stdout.on("data", (b: Buffer) => {
    stdout += b.toString();
    output += b.toString();
  });
  proc.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
    output += b.toString();
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    proc.on("error", reject);
    proc.on("close", (code, signal) => resolve({ code, signal }));
  });
  return { proc, stdout: () => stdout, stderr: () => stderr, output: () => output, closed };
}
