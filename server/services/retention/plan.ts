// The retention plan: a pure function of a studio's restore points, its policy and the time. It
// decides, for every point, keep (with every reason) or expire, and when each kept point will
// expire if nothing changes. `datasafe list`, the API, the preview and the apply-retention job all
// show or act on this one answer, so what a person is told is exactly what the job does.
//
// Rules (docs/retention.md), per device (each PC's backups are their own series):
//   - never expired: a held point; the newest live point of each device; every point while
//     retention is paused (an open signal in the studio);
//   - kept `keepWithinDays` after its commit;
//   - the last point of each UTC day, ISO week and calendar month is that bucket's keeper, kept
//     `dailyDays`, `weeklyWeeks` × 7 days and `monthlyMonths` months after its commit;
//   - a labelled point is kept `labelledDays`, but only the first `labelledPerWeek` labelled points
//     of a device in an ISO week earn it (labels cannot be used to keep everything);
//   - a suspect point (committed by a device while a signal against it was open) is never a
//     bucket's keeper and never earns the label rule, so junk committed after each good nightly
//     run cannot push the good points out of their buckets.
// Buckets come from createdAt: the server's commit time (ctx.clock), never a device's word.
import type { RetentionPolicyValues } from "../../../protocol/retention.ts";

export interface PlanPoint {
  id: string;
  deviceId: string;
  createdAt: Date;
  label: string | null;
  held: boolean;
  deletedAt: Date | null;
  suspect: boolean;
}

export interface KeepReason {
  reason: string;
  /** null: not by time (held, latest of device, retention paused). */
  until: Date | null;
}

export interface PlanDecision {
  point: PlanPoint;
  decision: "keep" | "expire" | "deleted";
  reasons: KeepReason[];
  /** When the last reason runs out; null if a reason does not end by time (or not kept). */
  expiresAt: Date | null;
  /** Soft-deleted points: when the job purges the row. */
  purgeAt: Date | null;
}

export interface PlanInput {
  points: readonly PlanPoint[];
  policy: RetentionPolicyValues;
  now: Date;
  paused: boolean;
  graceMs: number;
}

const DAY = 86_400_000;

export function planRetention(input: PlanInput): PlanDecision[] {
  const { policy, now, paused } = input;
  const reasons = new Map<string, KeepReason[]>();
  const add = (id: string, r: KeepReason) => reasons.get(id)?.push(r);
  const live = input.points.filter((p) => p.deletedAt === null);
  for (const p of live) reasons.set(p.id, []);

  for (const series of byDevice(live)) {
    // Oldest first: a bucket's keeper is the last of its points, a week's labels the first ones.
    series.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
    const newest = series[series.length - 1];
    if (newest) add(newest.id, { reason: "latest of device", until: null });
    const eligible = series.filter((p) => !p.suspect);
    keepBucketKeepers(eligible, dayKey, policy.dailyDays * DAY, "daily", now, add);
    keepBucketKeepers(eligible, isoWeekKey, policy.weeklyWeeks * 7 * DAY, "weekly", now, add);
    keepBucketKeepers(eligible, monthKey, { months: policy.monthlyMonths }, "monthly", now, add);
    const labelsInWeek = new Map<string, number>();
    for (const p of eligible) {
      if (p.label === null) continue;
      const week = isoWeekKey(p.createdAt);
      const n = (labelsInWeek.get(week) ?? 0) + 1;
      labelsInWeek.set(week, n);
      const until = new Date(p.createdAt.getTime() + policy.labelledDays * DAY);
      if (n <= policy.labelledPerWeek && until > now) add(p.id, { reason: "labelled", until });
    }
  }
  for (const p of live) {
    if (p.held) add(p.id, { reason: "held", until: null });
    const until = new Date(p.createdAt.getTime() + policy.keepWithinDays * DAY);
    if (until > now) add(p.id, { reason: `within ${policy.keepWithinDays} days`, until });
  }

  return input.points.map((point) => {
    if (point.deletedAt !== null) {
      return { point, decision: "deleted", reasons: [], expiresAt: null, purgeAt: new Date(point.deletedAt.getTime() + input.graceMs) };
    }
    const rs = reasons.get(point.id) ?? [];
    if (rs.length === 0 && paused) rs.push({ reason: "retention paused", until: null });
    if (rs.length === 0) return { point, decision: "expire", reasons: rs, expiresAt: null, purgeAt: null };
    const expiresAt = rs.some((r) => r.until === null) ? null : new Date(Math.max(...rs.map((r) => r.until!.getTime())));
    return { point, decision: "keep", reasons: sortReasons(rs), expiresAt, purgeAt: null };
  });
}

function byDevice(points: readonly PlanPoint[]): PlanPoint[][] {
  const m = new Map<string, PlanPoint[]>();
  for (const p of points) {
    const list = m.get(p.deviceId);
    if (list) list.push(p);
    else m.set(p.deviceId, [p]);
  }
  return [...m.values()];
}

/** `series` oldest first: the last point of each bucket, kept for `keep` after its commit. */
function keepBucketKeepers(
  series: readonly PlanPoint[],
  keyOf: (d: Date) => string,
  keep: number | { months: number },
  name: string,
  now: Date,
  add: (id: string, r: KeepReason) => void,
): void {
  const keeper = new Map<string, PlanPoint>();
  for (const p of series) keeper.set(keyOf(p.createdAt), p);
  for (const [key, p] of keeper) {
    const until = typeof keep === "number" ? new Date(p.createdAt.getTime() + keep) : addMonths(p.createdAt, keep.months);
    if (until > now) add(p.id, { reason: `${name} ${key}`, until });
  }
}

const ORDER = ["held", "latest of device", "retention paused", "within", "labelled", "daily", "weekly", "monthly"];
function sortReasons(rs: KeepReason[]): KeepReason[] {
  const rank = (r: KeepReason) => ORDER.findIndex((o) => r.reason.startsWith(o));
  return [...rs].sort((a, b) => rank(a) - rank(b));
}

/** 2026-11-03 (UTC). */
export function dayKey(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** 2026-11 (UTC). */
export function monthKey(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/** ISO 8601 week, "2026-W45": weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow); // the Thursday of this week decides its year
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / DAY + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** `months` calendar months later, the day clamped to the target month's last (Jan 31 + 1 = Feb 28/29). */
export function addMonths(d: Date, months: number): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(y, m, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()),
  );
}
