// The web app's pure rules, without a browser: the 90-day strip's day states, the freshness
// colours' thresholds, times and sizes in words, and the cookie/header names the page uses
// (kept equal to protocol/people.ts's, which the page cannot import without bundling zod).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CSRF_COOKIE, CSRF_HEADER } from "../../protocol/people.ts";
import * as api from "../../server/web/client/api.ts";
import { classifyDays, dayKey, summarize, type StripRun } from "../../server/web/client/day-strip-model.ts";
import { ago, bytes, freshness } from "../../server/web/client/format.ts";

const DAY = 86_400_000;

describe("web client model", () => {
  it("uses the protocol's CSRF cookie and header", () => {
    assert.equal(api.CSRF_COOKIE, CSRF_COOKIE);
    assert.equal(api.CSRF_HEADER, CSRF_HEADER);
  });

  it("colours the time since the last backup: green to 26 h, amber to 72 h, red beyond or never", () => {
    assert.equal(freshness(0), "ok");
    assert.equal(freshness(26 * 3600), "ok");
    assert.equal(freshness(26 * 3600 + 1), "late");
    assert.equal(freshness(72 * 3600), "late");
    assert.equal(freshness(72 * 3600 + 1), "overdue");
    assert.equal(freshness(null), "overdue");
  });

  it("says times and sizes in words", () => {
    assert.deepEqual(
      [ago(5), ago(60), ago(7200), ago(3 * 86_400), ago(-1800)],
      ["just now", "1 minute ago", "2 hours ago", "3 days ago", "in 30 minutes"],
    );
    assert.deepEqual([bytes(512), bytes(1536), bytes(5 * 1024 ** 3)], ["512 B", "1.5 KiB", "5.0 GiB"]);
  });

  it("classifies each of the 90 days from runs, restore point health and the last heartbeat", () => {
    const now = new Date(2026, 11, 3, 15, 0);
    const at = (daysAgo: number, hour = 2) => new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo, hour).toISOString();
    const runs: StripRun[] = [
      { startedAt: at(1), result: "success", restorePointId: "rp-verified" },
      { startedAt: at(2), result: "success", restorePointId: "rp-pending" },
      { startedAt: at(3), result: "failed", restorePointId: null },
      { startedAt: at(4), result: "failed", restorePointId: null },
      { startedAt: at(4, 3), result: "partial", restorePointId: "rp-verified" }, // the day's best run counts
      { startedAt: at(5), result: "success", restorePointId: "rp-damaged" },
      { startedAt: at(6), result: null, restorePointId: null }, // still running: not a result
    ];
    const health = { "rp-verified": "verified", "rp-pending": "pending", "rp-damaged": "damaged" } as const;
    const days = classifyDays({
      now,
      days: 90,
      runs,
      healthOf: (id) => health[id as keyof typeof health],
      deviceCreatedAt: at(30),
      lastHeartbeatAt: at(10), // silent for the last 10 days: days without a run since then are "off"
      truncated: false,
    });
    assert.equal(days.length, 90);
    assert.equal(days[89]!.date, dayKey(now));
    const state = (daysAgo: number) => days[89 - daysAgo]!.state;
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 30, 31, 89].map(state), [
      "none",
      "verified",
      "unverified",
      "failed",
      "verified",
      "failed",
      "off",
      "off",
      "missed",
      "missed",
      "missed",
      "none",
      "none",
    ]);
    assert.match(summarize(days), /^2 backed up and verified, 1 backed up, not yet verified, 2 failed, /);
  });

  it("leaves days older than a cut-off run list unknown, and marks a never-heard device's days off", () => {
    const now = new Date(2026, 11, 3, 15, 0);
    const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY).toISOString();
    const days = classifyDays({
      now,
      days: 10,
      runs: [{ startedAt: at(3), result: "success", restorePointId: null }],
      healthOf: () => undefined,
      deviceCreatedAt: at(100),
      lastHeartbeatAt: null,
      truncated: true,
    });
    assert.deepEqual(
      days.map((d) => d.state),
      ["none", "none", "none", "none", "none", "none", "unverified", "off", "off", "none"],
    );
  });
});
