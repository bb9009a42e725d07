// Peak resident memory of a child process, sampled from /proc (Linux) while it runs.
import { readFile } from "node:fs/promises";

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
