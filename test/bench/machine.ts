// What the figures were measured on, printed with them: a ratio is only comparable between
// runs on similar machines, and a high load average says other work shared the cores.
import os from "node:os";

export interface Machine {
  cores: number;
  cpu: string;
  memGiB: number;
  node: string;
  platform: string;
  loadAvgStart: number[];
  loadAvgEnd?: number[];
}

export function machine(): Machine {
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAvgStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
