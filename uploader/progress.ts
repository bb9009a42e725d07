// Progress on a terminal (bar with throughput and ETA); silent when not a terminal or with --json.
import cliProgress from "cli-progress";

export interface Progress {
  start(totalBytes: number, what: string): void;
  /** More work found (a backup's scan runs ahead of it): the total grows by `bytes`. */
  grow(bytes: number): void;
  advance(bytes: number): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, grow() {}, advance() {}, stop() {} };

const MB = 1024 * 1024;

export function terminalProgress(): Progress {
  let bar: cliProgress.SingleBar | null = null;
  let done = 0;
  let total = 0;
  const started = Date.now();
  return {
    start(totalBytes, what) {
      bar = new cliProgress.SingleBar(
        {
          format: `${what} [{bar}] {percentage}% | {doneMb}/{totalMb} MB | {speed} MB/s | ETA {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      total = totalBytes;
      bar.start(Math.max(totalBytes, 1), 0, { doneMb: "0", totalMb: (totalBytes / MB).toFixed(1), speed: "0" });
    },
    grow(bytes) {
      total += bytes;
      bar?.setTotal(Math.max(total, 1));
      bar?.update({ totalMb: (total / MB).toFixed(1) });
    },
    advance(bytes) {
      done += bytes;
      const secs = Math.max((Date.now() - started) / 1000, 0.001);
      bar?.update(done, { doneMb: (done / MB).toFixed(1), speed: (done / MB / secs).toFixed(1) });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
