// The pause signals' detection (server/services/retention/signals.ts) on hand-made histories.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHANGE_FLOOR_BYTES, detectFlood, median, suspiciousChange } from "../../../../../server/services/retention/signals.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = Date.parse("2026-09-01T02:00:00Z");
const nightly = (days: number) => Array.from({ length: days }, (_, i) => new Date(t0 + i * DAY));
const sorted = (xs: Date[]) => [...xs].sort((a, b) => a.getTime() - b.getTime());

describe("flood signal", () => {
  it("median counts days without a commit as 0", () => {
    assert.equal(median([0, 0, 1, 1, 1]), 1);
    assert.equal(median([0, 0, 0, 1]), 0);
    assert.equal(median([]), 0);
  });

  it("a nightly device never floods; a few retries a day do not either", () => {
    assert.equal(detectFlood(nightly(90), null), null);
    const retries = nightly(60).flatMap((d) => [d, new Date(d.getTime() + HOUR), new Date(d.getTime() + 2 * HOUR)]);
    assert.equal(detectFlood(sorted(retries), null), null, "3 a day, every day: median 3, threshold 9");
  });

  it("a nightly device trips at the 5th point in 24 h; since is the first point after the good run", () => {
    const good = nightly(40);
    const night = good[35]!.getTime();
    const junk = [1, 2, 3, 4].map((k) => new Date(night + k * 60_000));
    const f = detectFlood(sorted([...good, ...junk]), null);
    assert.ok(f);
    assert.equal(f.count, 5);
    assert.equal(f.threshold, 4);
    assert.equal(f.since.getTime(), junk[0]!.getTime(), "the nightly run itself stays eligible");
    assert.equal(f.detectedAt.getTime(), junk[3]!.getTime());
  });

  it("a new device has no history: more than 4 in its first 24 h is a flood (a person closes it)", () => {
    const hourly = Array.from({ length: 10 }, (_, i) => new Date(t0 + i * HOUR));
    assert.equal(detectFlood(hourly, null)?.count, 5);
  });

  it("an hourly device (24 a day) needs more than 72 in 24 h", () => {
    const hourly = Array.from({ length: 40 * 24 }, (_, i) => new Date(t0 + i * HOUR));
    const closed = new Date(t0 + 31 * DAY); // its first-day signal was closed
    assert.equal(detectFlood(hourly, closed), null);
    const burst = Array.from({ length: 60 }, (_, i) => new Date(t0 + 39 * DAY + i * 1000 + 1));
    const f = detectFlood(sorted([...hourly, ...burst]), closed);
    assert.ok(f);
    assert.equal(f.threshold, 72);
    assert.equal(f.count, 73);
  });

  it("after a closed signal, only points after its end count", () => {
    const good = nightly(40);
    const night = good[35]!.getTime();
    const junk = [1, 2, 3, 4, 5, 6].map((k) => new Date(night + k * 60_000));
    const times = sorted([...good, ...junk]);
    assert.equal(detectFlood(times, new Date(night + 10 * 60_000)), null, "the next nightly run is not a flood");
    const next = good[36]!.getTime();
    const more = [1, 2, 3, 4].map((k) => new Date(next + k * 60_000));
    const f = detectFlood(sorted([...times, ...more]), new Date(night + 10 * 60_000));
    assert.equal(f?.since.getTime(), more[0]!.getTime());
  });
});

describe("suspicious-change signal", () => {
  const MiB = 1024 * 1024;
  it("most of the point new, and far above the device's usual new bytes", () => {
    const r = suspiciousChange({ newBytes: 900 * MiB, referencedBytes: 1000 * MiB, history: [5 * MiB, 8 * MiB, 6 * MiB] });
    assert.ok(r);
    assert.equal(r.threshold, CHANGE_FLOOR_BYTES);
  });
  it("not without history, not when most of it is old, not when the device often sends that much", () => {
    assert.equal(suspiciousChange({ newBytes: 900 * MiB, referencedBytes: 1000 * MiB, history: [5 * MiB] }), null);
    assert.equal(suspiciousChange({ newBytes: 400 * MiB, referencedBytes: 1000 * MiB, history: [5 * MiB, 5 * MiB, 5 * MiB] }), null);
    assert.equal(suspiciousChange({ newBytes: 900 * MiB, referencedBytes: 1000 * MiB, history: [300 * MiB, 250 * MiB, 400 * MiB] }), null);
    assert.equal(suspiciousChange({ newBytes: 40 * MiB, referencedBytes: 50 * MiB, history: [1, 1, 1] }), null, "below the floor");
  });
});
