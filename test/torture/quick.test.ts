// The torture suite's quick profile (docs/torture.md), in CI: the rig with its own Postgres and
// Redis, two APIs and two workers, the S3 server behind the fault proxy; the crash, datastore
// and bit-rot scenarios; then the report's zeros. TORTURE_SEED replays a run.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { it } from "node:test";
import { requireS3OrSkip } from "../support/s3.ts";
import { SCENARIOS, type ScenarioName } from "./scenarios/index.ts";
import { runTorture } from "./torture.ts";

it("torture, quick profile: nothing lost, every fault survived", { timeout: 30 * 60_000 }, async (t) => {
  if (!requireS3OrSkip(t)) return;
  const seed = process.env.TORTURE_SEED ?? randomBytes(4).toString("hex");
  const report = await runTorture({
    profile: "quick",
    seed,
    scenarios: Object.keys(SCENARIOS) as ScenarioName[],
    out: path.join(os.tmpdir(), `datasafe-torture-${seed}`),
  });
  for (const s of report.scenarios) {
    const at = `${s.name} (seed ${seed})`;
    assert.deepEqual(s.failures, [], at);
    assert.equal(s.dataLost, 0, at);
    assert.equal(s.missingChunks, 0, at);
    assert.equal(s.orphans, 0, at);
    assert.equal(s.status.byStatus["500"] ?? 0, 0, at);
  }
  assert.equal(report.ok, true);
  for (const s of report.scenarios) assert.ok(Number(s.details.s3RequestsThroughProxy) > 0, `${s.name}: S3 went through the fault proxy`);
  t.diagnostic(`quick profile wall time ${(report.wallMs / 1000).toFixed(1)} s (seed ${seed})`);
});
