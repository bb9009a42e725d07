// Whether and how this agent updates itself: only the single executable does (a checkout is
// updated by git), only when its build carries a release key, every UPDATE_CHECK_HOURS.
import { isSea } from "node:sea";
import { AGENT_VERSION } from "../agent/version.ts";
import type { Target } from "./release.ts";
import { trustedReleaseKeys } from "./release-keys.ts";
import { updateOnce, type UpdateOutcome } from "./self-update.ts";

/** The agent's exit after replacing its executable: systemd's Restart=always and the Windows wrapper start it again. */
export const EXIT_RESTART = 75;

const UPDATE_CHECK_HOURS = 6;

export function selfUpdater(home: string, server: string): { check(): Promise<UpdateOutcome>; everyMs: number } | null {
  const keys = trustedReleaseKeys();
  const target = thisTarget();
  if (!isSea() || keys.length === 0 || !target) return null;
  return {
    everyMs: UPDATE_CHECK_HOURS * 3600_000,
    check: () =>
      updateOnce({ server, exePath: process.execPath, target, current: AGENT_VERSION, trustedKeys: keys, home, now: new Date() }),
  };
}

function thisTarget(): Target | null {
  if (process.arch !== "x64") return null;
  return process.platform === "linux" ? "linux-x64" : process.platform === "win32" ? "win-x64" : null;
}
