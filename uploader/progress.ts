// Progress on a terminal (bar with throughput and ETA); silent when not a terminal or with --json.
import cliProgress from "cli-progress";

export interface Progress {
  start(totalBytes: number, what: string): void;
  advance(bytes: number): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, advance() {}, stop() {} };

const MB = 1024 * 1024;

export function terminalProgress(): Progress {
  let bar: cliProgress.SingleBar | null = null;
  let done = 0;
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
      bar.start(Math.max(totalBytes, 1), 0, { doneMb: "0", totalMb: (totalBytes / MB).toFixed(1), speed: "0" });
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
