// Whether and how this agent updates itself: only the single executable does (a checkout is
// updated by git), only when its build carries a release key, every UPDATE_CHECK_HOURS.
import { isSea } from "node:sea";
import type { Log } from "../agent/logger.ts";
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

/** Runs one update check for the agent: whether the executable was replaced; a failed or refused update is logged and changes nothing. */
export async function checkForUpdate(check: () => Promise<UpdateOutcome>, log: Log): Promise<boolean> {
  try {
    const r = await check();
    if (r.result === "updated") log.info("updated: restarting into the new version", { from: r.from, to: r.to });
    else if (r.result === "refused") log.warn("update refused: keeping this version", { reason: r.reason, version: AGENT_VERSION });
    else log.debug("no newer release", { version: r.version });
    return r.result === "updated";
  } catch (err) {
    log.warn("update check failed: keeping this version", { error: (err as Error).message });
    return false;
  }
}
