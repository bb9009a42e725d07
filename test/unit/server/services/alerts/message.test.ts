// What an alert says when it leaves the server (services/alerts/message.ts, kinds.ts), and when
// a device's backup is due (evaluate-devices.ts): pure functions, no services.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backupDueAt, schedulePeriodMs } from "../../../../../server/services/alerts/evaluate-devices.ts";
import { ALERT } from "../../../../../server/services/alerts/kinds.ts";
import { renderAlert } from "../../../../../server/services/alerts/message.ts";

const HOUR = 3_600_000;
const t = (iso: string) => new Date(iso);

describe("alert message", () => {
  const alert = {
    id: "0b7a3c52-5a61-4d3c-9d8e-1d1f0c6f4a10",
    kind: ALERT.damaged,
    studioId: "6a0f3f2e-3a9e-4a59-bd8a-8e9b1f0a2c11",
    deviceId: null,
    createdAt: t("2027-03-01T02:10:00Z"),
    resolvedAt: null,
    details: { damagedChunks: 3, chunkIds: ["ab".repeat(32)], path: "Clients/Smith wedding/IMG_0001.CR3" },
  };

  it("says what happened, since when, on which device, what to do, and links to the portal", () => {
    const m = renderAlert("d-1", alert, { studio: "Acme Photo", device: "front-desk" }, "https://backup.example");
    assert.equal(m.subject, "DataSafe: Acme Photo: a restore point is damaged");
    for (const line of ["Since: 2027-03-01 02:10 UTC", "Device: front-desk", "Damaged pieces: 3", "What to do: Run a backup now"])
      assert.ok(m.text.includes(line), line);
    assert.ok(m.text.includes(`https://backup.example/app/studios/${alert.studioId}`));
    assert.equal(m.event.id, "d-1");
  });

  it("carries nothing of the raw details: no chunk id, not even a name smuggled into them", () => {
    const m = renderAlert("d-1", alert, { studio: "Acme <Photo>", device: "pc" }, "https://backup.example");
    for (const out of [m.text, m.html, JSON.stringify(m.event)]) {
      assert.ok(!out.includes("abab"), "chunk id");
      assert.ok(!out.includes("IMG_0001") && !out.includes("Smith"), "file name");
    }
    assert.ok(m.html.includes("Acme &#60;Photo&#62;"), "HTML is escaped");
  });
});

describe("when a backup is due", () => {
  const createdAt = t("2027-03-01T00:00:00Z");
  it("a daily schedule: the agent's next run after the last commit, bounded by one period", () => {
    const d = {
      createdAt,
      lastRunAt: t("2027-03-02T02:00:00Z"),
      nextRunAt: t("2027-03-03T02:00:00Z"),
      lastCommitAt: t("2027-03-02T02:20:00Z"),
    };
    assert.equal(schedulePeriodMs(d), 24 * HOUR);
    assert.deepEqual(backupDueAt(d, 26 * HOUR), t("2027-03-03T02:00:00Z"));
  });
  it("an agent that keeps moving its next run (failing) is still bounded by the last commit plus a period", () => {
    const d = {
      createdAt,
      lastRunAt: t("2027-03-09T02:00:00Z"),
      nextRunAt: t("2027-03-10T02:00:00Z"),
      lastCommitAt: t("2027-03-02T02:20:00Z"),
    };
    assert.deepEqual(backupDueAt(d, 26 * HOUR), t("2027-03-03T02:20:00Z"));
  });
  it("a weekly schedule is read from the heartbeat; unknown is daily; never backed up is enrollment + 26 h", () => {
    const weekly = {
      createdAt,
      lastRunAt: t("2027-03-01T02:00:00Z"),
      nextRunAt: t("2027-03-08T02:00:00Z"),
      lastCommitAt: t("2027-03-01T02:30:00Z"),
    };
    assert.equal(schedulePeriodMs(weekly), 7 * 24 * HOUR);
    assert.deepEqual(backupDueAt(weekly, 26 * HOUR), t("2027-03-08T02:00:00Z"));
    assert.equal(schedulePeriodMs({ lastRunAt: null, nextRunAt: null }), 24 * HOUR);
    assert.deepEqual(
      backupDueAt({ createdAt, lastRunAt: null, nextRunAt: null, lastCommitAt: null }, 26 * HOUR),
      t("2027-03-02T02:00:00Z"),
    );
  });
});
