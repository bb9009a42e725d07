// Runs a child process and measures it the way a user would see it: wall time, peak resident
// memory and CPU seconds. Linux only: /proc/<pid>/status VmHWM is the kernel's own peak-RSS
// counter (monotonic, so sampling it misses at most the last interval), /proc/<pid>/stat has
// utime+stime in clock ticks.
import { execFile, spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

export interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  peakRssMiB: number;
  cpuSec: number;
}

const TICK = 100; // USER_HZ on Linux

export async function procMemory(pid: number): Promise<{ rssMiB: number; hwmMiB: number } | null> {
  try {
    const s = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? 0);
    return { rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
  } catch {
    return null; // exited
  }
}

export async function procCpuSec(pid: number): Promise<number | null> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" that closes the command name: utime is field 14, stime 15 overall.
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return null;
  }
}

/** Resets a process's VmHWM to its current RSS (Linux ≥ 4.0, same user or root), so a long-lived
 * server's peak can be measured per phase. Returns false where not permitted. */
export async function resetPeakRss(pid: number): Promise<boolean> {
  return writeFile(`/proc/${pid}/clear_refs`, "5").then(
    () => true,
    () => false,
  );
}

export function runMeasured(
  cmd: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; sampleMs?: number },
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let peak = 0;
    let cpu = 0;
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-20_000)));
    const sample = async () => {
      if (!child.pid) return;
      const m = await procMemory(child.pid);
      if (m) peak = Math.max(peak, m.hwmMiB, m.rssMiB);
      cpu = (await procCpuSec(child.pid)) ?? cpu;
    };
    const timer = setInterval(() => void sample(), opts.sampleMs ?? 20);
    child.on("error", (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, stdout, stderr, wallMs: performance.now() - started, peakRssMiB: peak, cpuSec: cpu });
    });
  });
}

/**
 * Processes by command name and, when given, a string their command line must contain: on a
 * machine shared with other test suites, several Ceph clusters run at once, and only ours (told
 * apart by its configuration file) is part of a measurement.
 */
export interface ProcMatch {
  names: readonly string[];
  cmdline?: string;
}

/**
 * CPU seconds used so far by this machine's processes that match (summed); null when none runs
 * here (an S3 server elsewhere).
 */
export async function processesCpuSec(match: ProcMatch): Promise<number | null> {
  let total = 0;
  let found = false;
  for (const pid of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const comm = (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
    if (!match.names.includes(comm)) continue;
    if (match.cmdline && !(await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).includes(match.cmdline)) continue;
    const cpu = await procCpuSec(Number(pid));
    if (cpu === null) continue;
    total += cpu;
    found = true;
  }
  return found ? total : null;
}

/**
 * Before a measurement: no dirty pages left by earlier work (a generated tree, another tool's
 * restore) for the kernel to write back during it, and the processes matched (the S3 server, the
 * database) done with their own background work (under 6 % of a core over half a second; at
 * most 10 s). Else a measurement pays for what ran before it, and which run came before
 * decides how much.
 */
export async function quiesce(match: ProcMatch): Promise<{ waitedMs: number }> {
  const t0 = Date.now();
  await promisify(execFile)("sync");
  const windowMs = 500;
  while (Date.now() - t0 < 10_000) {
    const a = await processesCpuSec(match);
    await sleep(windowMs);
    const b = await processesCpuSec(match);
    if (a === null || b === null || b - a < (0.06 * windowMs) / 1000) break;
  }
  return { waitedMs: Date.now() - t0 };
}
