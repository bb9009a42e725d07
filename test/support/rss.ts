// Peak resident memory of a child process, sampled from /proc (Linux) while it runs.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Pc } from "./cli.ts";
import { ROOT, spawnNode } from "./process.ts";

export class RssSampler {
  peakBytes = 0;
  private timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    everyMs = 50,
  ) {
    this.timer = setInterval(() => void this.sample(), everyMs);
  }

  private async sample(): Promise<void> {
    const status = await readFile(`/proc/${this.pid}/status`, "utf8").catch(() => "");
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    this.peakBytes = Math.max(this.peakBytes, kb * 1024);
  }

  stop(): number {
    clearInterval(this.timer);
    return this.peakBytes;
  }
}

export const MB = 1024 * 1024;

/** Runs the CLI as `pc` (after `nodeArgs`, Node's own flags), sampling its RSS; the parsed JSON, the peak and the time taken. */
export async function measured(
  pc: Pc,
  args: string[],
  nodeArgs: string[] = [],
): Promise<{ json: Record<string, unknown>; peak: number; ms: number }> {
  const started = Date.now();
  const p = spawnNode([...nodeArgs, path.join(ROOT, "bin", "datasafe.js"), "--json", ...args], { env: pc.env() });
  const rss = new RssSampler(p.proc.pid!);
  const { code } = await p.closed;
  const peak = rss.stop();
  assert.equal(code, 0, p.stderr());
  return { json: JSON.parse(p.stdout()) as Record<string, unknown>, peak, ms: Date.now() - started };
}
