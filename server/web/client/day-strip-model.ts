// The 90-day strip of a device (issue 21): one square a day, from the device's run history
// (GET …/devices/:deviceId/runs) and the restore points' health. Pure, so the rules are tested
// without a browser (test/web/client-model.test.ts).
//
// A day is, in this order of precedence:
//   verified    a successful (or partial) run whose restore point is verified
//   unverified  a successful (or partial) run, its restore point not yet verified
//   failed      runs, but none successful (or the restore point is damaged)
//   off         no run, and the agent has not been heard from since (PC off or agent stopped)
//   missed      no run, though the agent was heard from later
//   none        before the device existed, today before any run, or older than the runs read
// The server keeps only each device's latest heartbeat, so "off" and "missed" are told apart by
// that one time: a day without a run before it is "missed" even if the PC was off that day.
export type DayState = "verified" | "unverified" | "failed" | "missed" | "off" | "none";

export const DAY_STATE_WORD: Record<DayState, string> = {
  verified: "backed up and verified",
  unverified: "backed up, not yet verified",
  failed: "failed",
  missed: "missed",
  off: "PC off or agent silent",
  none: "no data",
};

export interface StripRun {
  startedAt: string;
  result: "success" | "partial" | "failed" | null;
  restorePointId: string | null;
}

export interface StripInput {
  now: Date;
  days: number;
  runs: StripRun[];
  /** A restore point's health, when the page knows it. */
  healthOf: (restorePointId: string) => "pending" | "verified" | "damaged" | undefined;
  deviceCreatedAt: string;
  lastHeartbeatAt: string | null;
  /** The run list was cut at its limit: days before its oldest run are unknown, not missed. */
  truncated: boolean;
}

export interface Day {
  date: string;
  state: DayState;
}

/** The local calendar day of a time, as YYYY-MM-DD. */
export function dayKey(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

const RANK: Record<DayState, number> = { none: 0, missed: 1, off: 1, failed: 2, unverified: 3, verified: 4 };

function runState(r: StripRun, healthOf: StripInput["healthOf"]): DayState | null {
  if (r.result === null) return null;
  if (r.result === "failed") return "failed";
  const health = r.restorePointId ? healthOf(r.restorePointId) : undefined;
  if (health === "damaged") return "failed";
  return health === "verified" ? "verified" : "unverified";
}

/** Oldest day first, `days` of them, the last one today. */
export function classifyDays(input: StripInput): Day[] {
  const byDay = new Map<string, DayState>();
  for (const r of input.runs) {
    const s = runState(r, input.healthOf);
    if (!s) continue;
    const key = dayKey(new Date(r.startedAt));
    const prev = byDay.get(key);
    if (!prev || RANK[s] > RANK[prev]) byDay.set(key, s);
  }
  const created = dayKey(new Date(input.deviceCreatedAt));
  const heard = input.lastHeartbeatAt ? dayKey(new Date(input.lastHeartbeatAt)) : null;
  const oldestRead =
    input.truncated && input.runs.length ? dayKey(new Date(Math.min(...input.runs.map((r) => Date.parse(r.startedAt))))) : null;
  const today = dayKey(input.now);
  const out: Day[] = [];
  for (let i = input.days - 1; i >= 0; i--) {
    const d = new Date(input.now.getFullYear(), input.now.getMonth(), input.now.getDate() - i, 12);
    const key = dayKey(d);
    let state = byDay.get(key);
    if (!state) {
      if (key < created || key === today || (oldestRead !== null && key < oldestRead)) state = "none";
      else if (heard === null || key > heard) state = "off";
      else state = "missed";
    }
    out.push({ date: key, state });
  }
  return out;
}

/** "81 backed up and verified, 2 failed, …" for the strip's accessible name. */
export function summarize(days: Day[]): string {
  const counts = new Map<DayState, number>();
  for (const d of days) counts.set(d.state, (counts.get(d.state) ?? 0) + 1);
  return (Object.keys(DAY_STATE_WORD) as DayState[])
    .filter((s) => counts.get(s))
    .map((s) => `${counts.get(s)} ${DAY_STATE_WORD[s]}`)
    .join(", ");
}
