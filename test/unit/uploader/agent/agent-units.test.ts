// The agent's pure parts: value parsing, time-of-day windows, pacing, unit escaping,
// cron slots, and stable-file detection on a fake clock.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parseRate, parseWindows } from "../../../../uploader/agent/config-edit.ts";
import { inWindow, rateAt } from "../../../../uploader/agent/rates.ts";
import { nextSlot } from "../../../../uploader/agent/schedule.ts";
import { execArg } from "../../../../uploader/agent/systemd.ts";
import { createThrottle } from "../../../../uploader/agent/throttle.ts";
import { StableFileWatcher } from "../../../../uploader/agent/watcher.ts";

const at = (hhmm: string) => new Date(`2026-11-26T${hhmm}:00`);

describe("agent building blocks", () => {
  it("parses rates and windows", () => {
    assert.equal(parseRate("2MB"), 2_000_000);
    assert.equal(parseRate("2 MiB/s"), 2 * 1024 * 1024);
    assert.equal(parseRate("500k"), 500_000);
    assert.equal(parseRate("unlimited"), null);
    assert.equal(parseRate("fast"), "fast");
    assert.deepEqual(parseWindows("08:00-18:00=2MB, 22:00-06:00=none"), [
      { from: "08:00", to: "18:00", limit: 2_000_000 },
      { from: "22:00", to: "06:00", limit: null },
    ]);
    assert.deepEqual(parseWindows(""), []);
  });

  it("picks the window of the local time of day, wrapping midnight", () => {
    const bw = {
      limit: 5_000_000,
      windows: [
        { from: "08:00", to: "18:00", limit: 2_000_000 },
        { from: "22:00", to: "06:00", limit: null },
      ],
    };
    assert.equal(rateAt(bw, at("07:59")), 5_000_000);
    assert.equal(rateAt(bw, at("08:00")), 2_000_000);
    assert.equal(rateAt(bw, at("17:59")), 2_000_000);
    assert.equal(rateAt(bw, at("18:00")), 5_000_000);
    assert.equal(rateAt(bw, at("23:30")), null);
    assert.equal(rateAt(bw, at("03:00")), null);
    assert.equal(inWindow({ from: "00:00", to: "00:00" }, at("12:00")), true);
  });

  it("paces uploads to the limit on one clock whatever the concurrency", async () => {
    let now = 0;
    const waits: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    // Record the requested waits instead of sleeping.
    globalThis.setTimeout = ((fn: () => void, ms: number) => {
      waits.push(ms);
      return realSetTimeout(fn, 0);
    }) as typeof setTimeout;
    try {
      const throttle = createThrottle(
        () => 1_000_000,
        () => now,
      );
      await Promise.all([throttle(500_000), throttle(500_000), throttle(1_000_000)]);
      assert.deepEqual(waits, [500, 1000, 2000]);
      now = 10_000; // idle long after: no debt, no credit beyond one chunk's time
      waits.length = 0;
      await throttle(100_000);
      assert.deepEqual(waits, [100]);
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
  });

  it("escapes systemd command-line arguments", () => {
    assert.equal(execArg('/srv/Studio "A" 100%/$HOME\\x'), '"/srv/Studio \\"A\\" 100%%/$$HOME\\\\x"');
  });

  it("finds the next cron slot, with seconds", () => {
    assert.equal(nextSlot("0 2 * * *", at("02:00"))!.getTime(), new Date("2026-11-27T02:00:00").getTime());
    assert.equal(nextSlot("*/5 * * * * *", new Date("2026-11-26T10:00:01"))!.getTime(), new Date("2026-11-26T10:00:05").getTime());
  });

  it("reports a changed file only once it is stable, and only once", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "watch é "));
    try {
      let now = 0;
      const w = new StableFileWatcher([dir], 2000, () => now);
      await writeFile(path.join(dir, "old.bak"), "there before");
      assert.equal(await w.poll(), false, "baseline");
      await writeFile(path.join(dir, "new.bak"), "part");
      now = 1000;
      assert.equal(await w.poll(), false, "just changed");
      now = 2500;
      await writeFile(path.join(dir, "new.bak"), "part and more");
      assert.equal(await w.poll(), false, "still growing");
      now = 4000;
      assert.equal(await w.poll(), false, "stable for 1.5 s only");
      now = 4600;
      assert.equal(await w.poll(), true, "stable for 2.1 s");
      w.markSent(w.snapshot());
      now = 9000;
      assert.equal(await w.poll(), false, "sent: nothing changed since");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
