// The retention plan (server/services/retention/plan.ts): a pure function, so every rule is checked
// here on hand-made series with exact dates, and on a simulated year against counts worked out by hand.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_RETENTION_POLICY as P, type RetentionPolicyValues } from "../../../../../protocol/retention.ts";
import { addMonths, isoWeekKey, planRetention, type PlanDecision, type PlanPoint } from "../../../../../server/services/retention/plan.ts";

const DAY = 86_400_000;
const GRACE = 7 * DAY;
const at = (s: string) => new Date(s);
let seq = 0;
function pt(createdAt: string | Date, o: Partial<PlanPoint> = {}): PlanPoint {
  seq++;
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
    deviceId: "d1",
    createdAt: typeof createdAt === "string" ? at(createdAt) : createdAt,
    label: null,
    held: false,
    deletedAt: null,
    suspect: false,
    ...o,
  };
}
function plan(points: PlanPoint[], now: string | Date, o: { policy?: Partial<RetentionPolicyValues>; paused?: boolean } = {}) {
  const out = planRetention({
    points,
    policy: { ...P, ...o.policy },
    now: typeof now === "string" ? at(now) : now,
    paused: o.paused ?? false,
    graceMs: GRACE,
  });
  return new Map(out.map((d) => [d.point.id, d]));
}
const reasons = (d: PlanDecision | undefined) => d?.reasons.map((r) => r.reason) ?? [];

/** One point a night at 02:00 UTC from `start` for `days` days. */
function nightly(start: string, days: number, o: Partial<PlanPoint> = {}): PlanPoint[] {
  return Array.from({ length: days }, (_, i) => pt(new Date(at(start).getTime() + i * DAY), o));
}

describe("retention plan: calendar keys", () => {
  it("ISO weeks: Monday starts a week, the week with the year's first Thursday is week 1", () => {
    assert.equal(isoWeekKey(at("2026-11-03T10:00:00Z")), "2026-W45");
    assert.equal(isoWeekKey(at("2026-11-01T23:59:59Z")), "2026-W44"); // a Sunday
    assert.equal(isoWeekKey(at("2026-11-02T00:00:00Z")), "2026-W45"); // the Monday after
    assert.equal(isoWeekKey(at("2027-01-01T12:00:00Z")), "2026-W53"); // a Friday: still 2026's last week
    assert.equal(isoWeekKey(at("2025-12-29T12:00:00Z")), "2026-W01"); // a Monday: 2026's first week
    assert.equal(isoWeekKey(at("2021-01-03T12:00:00Z")), "2020-W53");
  });
  it("months are calendar months, the day clamped", () => {
    assert.equal(addMonths(at("2026-01-31T05:00:00Z"), 1).toISOString(), "2026-02-28T05:00:00.000Z");
    assert.equal(addMonths(at("2026-03-15T05:00:00Z"), 12).toISOString(), "2027-03-15T05:00:00.000Z");
    assert.equal(addMonths(at("2028-01-31T00:00:00Z"), 1).toISOString(), "2028-02-29T00:00:00.000Z");
  });
});

describe("retention plan: rules", () => {
  it("keeps everything within keepWithinDays, and says until when", () => {
    const a = pt("2026-11-20T02:00:00Z");
    const b = pt("2026-11-20T03:00:00Z");
    const c = pt("2026-11-21T02:00:00Z");
    const d = plan([a, b, c], "2026-11-25T00:00:00Z");
    assert.equal(d.get(a.id)?.decision, "keep");
    assert.deepEqual(reasons(d.get(a.id)), ["within 14 days"]);
    assert.equal(d.get(a.id)?.expiresAt?.toISOString(), "2026-12-04T02:00:00.000Z");
    // b is the last of its day: within 14 days, then daily until 30 days after its commit.
    assert.deepEqual(reasons(d.get(b.id)), ["within 14 days", "daily 2026-11-20"]);
    assert.equal(d.get(b.id)?.expiresAt?.toISOString(), "2026-12-20T03:00:00.000Z");
  });

  it("past 14 days, only the last of each day stays (daily), then of each week, then of each month", () => {
    const pts = [pt("2026-10-01T02:00:00Z"), pt("2026-10-01T14:00:00Z"), pt("2026-10-02T02:00:00Z")];
    const latest = pt("2026-11-29T02:00:00Z");
    const d = plan([...pts, latest], "2026-10-20T00:00:00Z");
    assert.equal(d.get(pts[0]!.id)?.decision, "expire", "not the last of 2026-10-01");
    assert.deepEqual(reasons(d.get(pts[1]!.id)), ["daily 2026-10-01"]);
    // 2026-10-01 (Thu) and 10-02 (Fri) are in W40: 10-02 is the week's keeper and October's so far.
    assert.deepEqual(reasons(d.get(pts[2]!.id)), ["daily 2026-10-02", "weekly 2026-W40", "monthly 2026-10"]);
    const later = plan([...pts, latest], "2026-11-15T00:00:00Z");
    assert.equal(later.get(pts[1]!.id)?.decision, "expire", "daily ran out after 30 days");
    assert.deepEqual(reasons(later.get(pts[2]!.id)), ["weekly 2026-W40", "monthly 2026-10"]);
    assert.equal(later.get(pts[2]!.id)?.expiresAt?.toISOString(), "2027-10-02T02:00:00.000Z", "monthly: 12 months");
    const year = plan([...pts, latest], "2027-10-02T02:00:00Z");
    assert.equal(year.get(pts[2]!.id)?.decision, "expire", "12 months later, to the millisecond");
  });

  it("never expires the newest live point of a device, however old", () => {
    const old = pt("2020-01-01T00:00:00Z");
    const other = pt("2019-01-01T00:00:00Z", { deviceId: "d2" });
    const d = plan([old, other], "2026-11-01T00:00:00Z");
    assert.deepEqual(reasons(d.get(old.id)), ["latest of device"]);
    assert.equal(d.get(old.id)?.expiresAt, null);
    assert.deepEqual(reasons(d.get(other.id)), ["latest of device"]);
  });

  it("a soft-deleted point is neither the latest nor a keeper; it is purged after the grace", () => {
    const a = pt("2026-01-01T02:00:00Z");
    const b = pt("2026-01-02T02:00:00Z", { deletedAt: at("2026-11-01T00:00:00Z") });
    const d = plan([a, b], "2026-11-02T00:00:00Z");
    assert.deepEqual(reasons(d.get(a.id)), ["latest of device", "monthly 2026-01"], "a is January's keeper now");
    assert.equal(d.get(b.id)?.decision, "deleted");
    assert.equal(d.get(b.id)?.purgeAt?.toISOString(), "2026-11-08T00:00:00.000Z");
  });

  it("a hold keeps a point until released, whatever its age", () => {
    const held = pt("2024-05-05T02:00:00Z", { held: true });
    const d = plan([held, pt("2026-11-01T02:00:00Z")], "2026-11-02T00:00:00Z");
    assert.deepEqual(reasons(d.get(held.id)), ["held"]);
    assert.equal(d.get(held.id)?.expiresAt, null);
  });

  it("labels: kept labelledDays, but only the first labelledPerWeek of a device's ISO week earn it", () => {
    // Monday 2026-08-03 .. Sunday 08-09 is W32: five labelled points, the first three earn it.
    const week = ["03", "04", "05", "06", "07"].map((dd) => pt(`2026-08-${dd}T10:00:00Z`, { label: "before import" }));
    const otherDevice = pt("2026-08-04T11:00:00Z", { label: "x", deviceId: "d2" });
    const newest = pt("2026-10-20T02:00:00Z");
    const newest2 = pt("2026-10-20T02:00:00Z", { deviceId: "d2" });
    const d = plan([...week, otherDevice, newest, newest2], "2026-10-01T00:00:00Z", {
      policy: { dailyDays: 0, weeklyWeeks: 0, monthlyMonths: 0 },
    });
    assert.deepEqual(
      week.map((p) => d.get(p.id)?.decision),
      ["keep", "keep", "keep", "expire", "expire"],
    );
    assert.equal(d.get(week[0]!.id)?.expiresAt?.toISOString(), "2026-11-01T10:00:00.000Z");
    assert.deepEqual(reasons(d.get(otherDevice.id)), ["labelled"], "the cap is per device");
    const late = plan([...week, newest], "2026-11-02T00:00:00Z", { policy: { dailyDays: 0, weeklyWeeks: 0, monthlyMonths: 0 } });
    assert.equal(late.get(week[0]!.id)?.decision, "expire", "90 days are over");
  });

  it("suspect points are never a bucket's keeper nor earn the label rule: the good point before them keeps the day", () => {
    const good = pt("2026-09-10T02:00:00Z");
    const junk = [1, 2, 3].map((h) => pt(`2026-09-10T0${2 + h}:00:00Z`, { suspect: true, label: "junk" }));
    const newest = pt("2026-11-20T02:00:00Z");
    const d = plan([good, ...junk, newest], "2026-09-30T00:00:00Z");
    assert.deepEqual(reasons(d.get(good.id)), ["daily 2026-09-10", "weekly 2026-W37", "monthly 2026-09"]);
    for (const j of junk) assert.equal(d.get(j.id)?.decision, "expire");
  });

  it("paused: what would expire is kept, with the reason, and no date", () => {
    const a = pt("2026-01-01T02:00:00Z");
    const b = pt("2026-01-01T03:00:00Z");
    const newest = pt("2026-11-01T02:00:00Z");
    const d = plan([a, b, newest], "2026-11-02T00:00:00Z", { paused: true });
    assert.deepEqual(reasons(d.get(a.id)), ["retention paused"]);
    assert.equal(d.get(a.id)?.decision, "keep");
    assert.deepEqual(reasons(d.get(b.id)), ["monthly 2026-01"], "a point kept by a rule keeps its own reason");
  });

  it("a policy of zeros keeps only the newest of each device", () => {
    const pts = nightly("2026-10-01T02:00:00Z", 10);
    const zero = { keepWithinDays: 0, dailyDays: 0, weeklyWeeks: 0, monthlyMonths: 0, labelledDays: 0, labelledPerWeek: 0 };
    const d = plan(pts, "2026-10-10T03:00:00Z", { policy: zero });
    assert.deepEqual(
      pts.map((p) => d.get(p.id)?.decision),
      [...Array<string>(9).fill("expire"), "keep"],
    );
  });

  it("keeps every reason's expiry: expiresAt is the latest of them", () => {
    const p = pt("2026-11-02T02:00:00Z", { label: "l" });
    const d = plan([p, pt("2026-11-03T02:00:00Z")], "2026-11-10T00:00:00Z");
    const r = d.get(p.id)!;
    assert.deepEqual(reasons(r), ["within 14 days", "labelled", "daily 2026-11-02"]);
    assert.equal(r.expiresAt?.toISOString(), "2027-01-31T02:00:00.000Z"); // labelled: 90 days
  });
});

describe("retention plan: a simulated year of nightly backups", () => {
  it("keeps exactly 14 recent + daily to 30 days + Sunday keepers to 12 weeks + month keepers to 12 months", () => {
    // 2026-01-01 .. 2026-12-31, one point a night at 02:00; now is 2026-12-31T12:00Z.
    const pts = nightly("2026-01-01T02:00:00Z", 365);
    const now = at("2026-12-31T12:00:00Z");
    const d = plan(pts, now);
    const kept = pts.filter((p) => d.get(p.id)?.decision === "keep");
    // Worked out independently of plan.ts: the set of days each rule names.
    const want = new Set<string>();
    for (const p of pts) {
      const age = now.getTime() - p.createdAt.getTime();
      const day = p.createdAt.toISOString().slice(0, 10);
      const next = new Date(p.createdAt.getTime() + DAY);
      const lastOfWeek = p.createdAt.getUTCDay() === 0 || p === pts[pts.length - 1];
      const lastOfMonth = next.getUTCMonth() !== p.createdAt.getUTCMonth() || p === pts[pts.length - 1];
      if (age < 30 * DAY) want.add(day); // 14 days, then daily to 30
      if (lastOfWeek && age < 84 * DAY) want.add(day);
      if (lastOfMonth && addMonths(p.createdAt, 12) > now) want.add(day);
    }
    assert.deepEqual(new Set(kept.map((p) => p.createdAt.toISOString().slice(0, 10))), want);
    // By hand: 30 days (12-02..12-31), Sundays 10-11..11-29 (8), month ends 01-31..11-30 (11): 49.
    assert.equal(kept.length, 49);
  });
});
