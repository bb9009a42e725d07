// Which bandwidth limit applies at a given local time: the first window containing it, else the
// default. A window [from, to) in local wall-clock time; from > to wraps midnight (22:00-06:00);
// from == to covers the whole day.
import type { AgentConfig } from "./config-file.ts";

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function inWindow(w: { from: string; to: string }, at: Date): boolean {
  const m = at.getHours() * 60 + at.getMinutes();
  const from = minutes(w.from);
  const to = minutes(w.to);
  if (from === to) return true;
  return from < to ? m >= from && m < to : m >= from || m < to;
}

/** Whether any limit is configured (at some time of day). */
export function isLimited(bandwidth: AgentConfig["bandwidth"]): boolean {
  return bandwidth.limit !== null || bandwidth.windows.some((w) => w.limit !== null);
}

/** Pack size while a bandwidth limit is configured (SinkOptions.packBytes). */
export const LIMITED_PACK_BYTES = 1024 * 1024;

export function rateAt(bandwidth: AgentConfig["bandwidth"], at: Date): number | null {
  for (const w of bandwidth.windows) if (inWindow(w, at)) return w.limit;
  return bandwidth.limit;
}
