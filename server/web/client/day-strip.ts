// Draws a device's 90-day strip (day-strip-model.ts decides each square) and its legend.
import type { RunView } from "../../../protocol/runs.ts";
import { h } from "./dom.ts";
import { classifyDays, DAY_STATE_WORD, summarize, type DayState, type StripInput } from "./day-strip-model.ts";

export const STRIP_DAYS = 90;
/** The run route's largest page: more runs than this in 90 days (a watched folder) cuts the strip's oldest days. */
export const STRIP_RUN_LIMIT = 1000;

export function runsQuery(now: Date): string {
  const since = new Date(now.getTime() - (STRIP_DAYS + 1) * 86_400_000).toISOString();
  return `?since=${encodeURIComponent(since)}&limit=${STRIP_RUN_LIMIT}`;
}

export function dayStrip(deviceName: string, runs: RunView[], o: Omit<StripInput, "runs" | "days" | "truncated">): HTMLElement {
  const days = classifyDays({ ...o, runs, days: STRIP_DAYS, truncated: runs.length >= STRIP_RUN_LIMIT });
  return h(
    "div",
    { class: "strip", role: "img", "aria-label": `${deviceName}, last ${STRIP_DAYS} days: ${summarize(days)}`, "data-device": deviceName },
    ...days.map((d) => h("span", { class: `day ${d.state}`, title: `${d.date}: ${DAY_STATE_WORD[d.state]}`, "data-state": d.state })),
  );
}

export function stripLegend(): HTMLElement {
  return h(
    "p",
    { class: "legend" },
    ...(Object.keys(DAY_STATE_WORD) as DayState[]).map((s) =>
      h("span", {}, h("span", { class: `day ${s}`, "aria-hidden": "true" }), DAY_STATE_WORD[s]),
    ),
  );
}
