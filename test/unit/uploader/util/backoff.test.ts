// The one backoff formula of the uploader: exponential, capped, jittered between a floor and the
// ceiling (full jitter for requests, at least half for a failed agent run).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffMs } from "../../../../uploader/util/backoff.ts";

describe("backoffMs", () => {
  it("doubles per attempt up to the cap, full jitter by default", () => {
    const b = { baseMs: 250, capMs: 15_000 };
    assert.equal(
      backoffMs(1, b, () => 0),
      0,
    );
    assert.equal(
      backoffMs(1, b, () => 1),
      250,
    );
    assert.equal(
      backoffMs(3, b, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(3, b, () => 0.5),
      500,
    );
    assert.equal(
      backoffMs(30, b, () => 1),
      15_000,
    );
  });

  it("waits at least minShare of the ceiling (a failed agent run)", () => {
    const b = { baseMs: 60_000, capMs: 3_600_000, minShare: 0.5 };
    assert.equal(
      backoffMs(1, b, () => 0),
      30_000,
    );
    assert.equal(
      backoffMs(1, b, () => 1),
      60_000,
    );
    assert.equal(
      backoffMs(3, b, () => 1),
      240_000,
    );
    assert.equal(
      backoffMs(20, b, () => 1),
      3_600_000,
    );
    assert.equal(
      backoffMs(20, b, () => 0),
      1_800_000,
    );
  });
});
