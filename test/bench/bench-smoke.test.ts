// `npm run bench` at a tiny size, so the bench keeps working as the code changes. This checks
// that every section runs and produces figures (and that restores were byte-exact: the bench
// throws otherwise), never how fast anything is: timings on a shared CI machine are not a test.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { BenchReport } from "./report.ts";
import { ROOT } from "../support/server.ts";

test("npm run bench works end to end at a tiny size", { timeout: 300_000 }, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "datasafe-bench-smoke-"));
  const json = path.join(dir, "out.json");
  // Under `npm test` S3_* points at the suite's Ceph RGW; without it, skip S3 rather than start
  // a second Ceph here. Never install restic from a test: use it only if present.
  // The photo library runs at a few hundred files: enough to cross several session folders, the
  // touched step and the restore check. The dumps scenario shares the driver with these two and
  // its generator is checked in generators.test.ts: another end-to-end pass would cost a minute.
  const args = [
    "--scenario",
    "studio,photos",
    "--size",
    "6",
    "--files",
    "300",
    "--reps",
    "1",
    "--clients",
    "4",
    "--chunks-per-client",
    "2",
    "--lookup-studios",
    "20",
    "--no-install",
    "--json",
    json,
  ];
  if (!process.env.S3_ENDPOINT) args.push("--no-s3");
  try {
    const code = await new Promise<number>((resolve, reject) => {
      // Its own process group: a timed-out test stops the bench and the servers it started.
      const p = spawn(process.execPath, ["--import", "tsx", "scripts/bench.ts", ...args], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      t.signal.addEventListener(
        "abort",
        () => {
          try {
            process.kill(-p.pid!, "SIGTERM");
          } catch {
            /* already gone */
          }
        },
        { once: true },
      );
      let err = "";
      p.stderr.on("data", (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
      p.stdout.resume();
      p.on("error", reject);
      p.on("close", (c) => (c === 0 ? resolve(0) : reject(new Error(`bench exited ${c}:\n${err}`))));
    });
    assert.equal(code, 0);
    const r = JSON.parse(await readFile(json, "utf8")) as BenchReport;
    assert.ok(r.machine.cores >= 1 && r.machine.loadAvgStart.length === 3);
    assert.ok(r.stages && r.stages.stages.every((s) => s.mbps > 0), "every stage measured");
    assert.ok(r.stages.limit1Core > 0 && r.stages.limit2Cores > r.stages.limit1Core);
    assert.deepEqual(
      r.e2e.map((e) => e.scenario),
      ["studio", "photos"],
    );
    for (const e2e of r.e2e) {
      for (const p of ["first backup", "unchanged re-run", "incremental", "restore (new PC)"] as const) {
        assert.ok(e2e.datasafe[p].wallMs > 0 && e2e.datasafe[p].clientPeakRssMiB > 0, `${e2e.scenario}: DataSafe ${p} measured`);
        if (e2e.restic) assert.ok(e2e.restic[p].wallMs > 0, `${e2e.scenario}: restic ${p} measured`);
      }
      assert.ok(e2e.datasafe["first backup"].sentBytes > 0);
    }
    const photos = r.e2e[1]!;
    // 300 files plus the new session the touched step adds.
    assert.ok(photos.files > 300 && photos.files < 400, `photo library of ${photos.files} files`);
    assert.match(photos.edits, /^3 small files rewritten/);
    assert.ok(r.ingest.length >= 1);
    for (const i of r.ingest) {
      assert.equal(i.errors, 0, `${i.store} ingest errors`);
      assert.ok(i.rawMBps > 0 && i.ingestMBps > 0);
    }
    assert.ok(r.lookup && r.lookup.rows === 20 * 365 && r.lookup.serverTime.p99 > 0 && r.lookup.summary.p99 > 0);
    for (const t of ["studio: first backup", "photos: first backup", "photos: restorer peak RSS"]) {
      assert.ok(
        r.targets.some((x) => x.target.startsWith(t)),
        `target ${t} evaluated`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
