// The agent on Windows. NOT TESTED: no Windows machine is available to this project's tests, so
// this file is kept small and isolated, and documented in docs/agent.md ("Running the agent as a
// service").
//
// Why a Task Scheduler task and not a Service Control Manager service: an SCM service must answer
// the SCM's control requests, which Node cannot do without a wrapper executable (WinSW, NSSM) that
// we would have to ship and could not test here. A task "at system startup, as SYSTEM, restart on
// failure" gives the same outcome for a background agent. A wrapper .cmd in DATASAFE_HOME sets
// DATASAFE_HOME (the SYSTEM account's %APPDATA% is not the owner's) and keeps the /TR argument
// short (schtasks limits it to 261 characters).
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

export const TASK_NAME = "DataSafe Agent";

const run = promisify(execFile);

/** cmd.exe: `set "NAME=value"` keeps spaces; "%" must be doubled in a batch file. */
export function wrapperCmd(o: { node: string; script?: string | undefined; home: string }): string {
  const q = (s: string) => `"${s.replace(/%/g, "%%")}"`;
  return [
    "@echo off",
    "chcp 65001 >nul",
    `set "DATASAFE_HOME=${o.home.replace(/%/g, "%%")}"`,
    // The agent exits with 75 after replacing its executable (update/agent-updater.ts): start it again.
    ":run",
    [o.node, ...(o.script ? [o.script] : [])].map(q).join(" ") + " run --json",
    "if %ERRORLEVEL% EQU 75 goto run",
    "",
  ].join("\r\n");
}

export async function installWindowsTask(o: { node: string; script?: string | undefined; home: string }): Promise<string> {
  const cmd = path.join(o.home, "datasafe-agent.cmd");
  await writeFile(cmd, wrapperCmd(o), "utf8");
  await run("schtasks.exe", ["/Create", "/F", "/TN", TASK_NAME, "/SC", "ONSTART", "/RU", "SYSTEM", "/RL", "HIGHEST", "/TR", `"${cmd}"`]);
  await run("schtasks.exe", ["/Run", "/TN", TASK_NAME]);
  return cmd;
}

export async function uninstallWindowsTask(): Promise<void> {
  await run("schtasks.exe", ["/End", "/TN", TASK_NAME]).catch(() => undefined);
  await run("schtasks.exe", ["/Delete", "/F", "/TN", TASK_NAME]);
}
