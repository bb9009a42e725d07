// `datasafe service install|uninstall`: run the agent at boot. Linux: a systemd unit (system unit
// when run as root, else a user unit); Windows: agent/windows-service.ts (untested here).
// With DATASAFE_SYSTEMD_DIR set, the unit is written there and systemctl is not called.
import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { selfCommand } from "../agent/self.ts";
import { systemdUnit, UNIT_NAME } from "../agent/systemd.ts";
import { installWindowsTask, TASK_NAME, uninstallWindowsTask } from "../agent/windows-service.ts";
import { CliError } from "../errors.ts";

const systemctl = promisify(execFile);

export interface ServiceResult {
  kind: "systemd" | "windows-task";
  file: string;
  /** Commands still to run (when systemctl was not called). */
  next: string[];
}

interface Where {
  dir: string;
  system: boolean;
  called: boolean;
}

function where(override: string | undefined): Where {
  const system = process.getuid?.() === 0;
  const dir = override ?? (system ? "/etc/systemd/system" : path.join(os.homedir(), ".config", "systemd", "user"));
  return { dir, system, called: override === undefined };
}

async function ctl(w: Where, args: string[]): Promise<void> {
  const full = [...(w.system ? [] : ["--user"]), ...args];
  try {
    await systemctl("systemctl", full);
  } catch (err) {
    throw new CliError("SERVICE_FAILED", `systemctl ${full.join(" ")} failed: ${(err as Error).message.split("\n")[0]}`);
  }
}

export async function installService(o: { home: string; systemdDir: string | undefined }): Promise<ServiceResult> {
  if (process.platform === "win32") {
    const file = await installWindowsTask({ ...selfCommand(), home: o.home });
    return { kind: "windows-task", file, next: [] };
  }
  const w = where(o.systemdDir);
  await mkdir(w.dir, { recursive: true });
  const file = path.join(w.dir, UNIT_NAME);
  await writeFile(file, systemdUnit({ ...selfCommand(), home: o.home, user: w.system ? os.userInfo().username : undefined }));
  const user = w.system ? "" : "--user ";
  const next = [`systemctl ${user}daemon-reload`, `systemctl ${user}enable --now ${UNIT_NAME}`];
  if (!w.called) return { kind: "systemd", file, next };
  await ctl(w, ["daemon-reload"]);
  await ctl(w, ["enable", "--now", UNIT_NAME]);
  return { kind: "systemd", file, next: [] };
}

export async function uninstallService(o: { systemdDir: string | undefined }): Promise<ServiceResult> {
  if (process.platform === "win32") {
    await uninstallWindowsTask();
    return { kind: "windows-task", file: TASK_NAME, next: [] };
  }
  const w = where(o.systemdDir);
  const file = path.join(w.dir, UNIT_NAME);
  if (w.called) await ctl(w, ["disable", "--now", UNIT_NAME]).catch(() => undefined); // may not be enabled
  await rm(file, { force: true });
  if (w.called) await ctl(w, ["daemon-reload"]);
  return { kind: "systemd", file, next: w.called ? [] : [`systemctl ${w.system ? "" : "--user "}daemon-reload`] };
}
