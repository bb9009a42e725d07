// Repack end to end: a real server on Ceph RGW, real backups by the CLI, then most of the first
// backup's files dropped (its restore point deleted, as retention's hard delete would) and the
// collector run in this process against the server's database and bucket on a ManualClock. Runs
// killed at each of the repack's two midpoints (a hook throws there), then a clean one: after each,
// every remaining restore point is restored by the real CLI and must match its tree byte for byte;
// at the end the bucket holds live bytes only (the dead share is gone).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../../server/clock.ts";
import { loadConfig } from "../../server/config.ts";
import type { Ctx } from "../../server/context.ts";
import { createRuntime, type Runtime } from "../../server/runtime.ts";
import { collectStudio } from "../../server/services/gc/collect.ts";
import type { RepackHooks } from "../../server/services/gc/repack.ts";
import { enrolledPcs, type Pc } from "../support/cli.ts";
import { s3SkipReason } from "../support/s3.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { describeTree, type TreeEntry } from "../support/tree.ts";

const HOUR = 3_600_000;
class Crash extends Error {}

describe("repack, restored by the CLI", { skip: s3SkipReason(), timeout: 600_000 }, () => {
  let server: TestServer;
  let runtime: Runtime;
  let ctx: Ctx;
  let clock: ManualClock;
  let pc: Pc;
  let studioId: string;
  const src = () => path.join(server.dir, "src", "Work");
  /** Restore point id -> the tree it holds (described right after its backup). */
  const kept = new Map<string, Map<string, TreeEntry>>();

  before(async () => {
    // No worker: only this test's runs collect (on its clock).
    server = await startServer({ s3: true, role: "api" });
    runtime = await createRuntime(loadConfig(server.env, { dotenv: false }), "repack-test");
    clock = new ManualClock(new Date());
    ctx = { ...runtime.ctx, clock };
    const studio = await enrolledPcs(server, 1);
    pc = studio.pcs[0]!;
    studioId = studio.studioId;
  });
  after(async () => {
    await runtime?.close();
    await server?.stop();
  });

  const backup = async (): Promise<string> => {
    const b = await pc.run(["backup", src()]);
    assert.equal(b.code, 0, b.stderr);
    const id = String(b.json.restorePointId);
    kept.set(id, await describeTree(src()));
    return id;
  };
  const restoreAll = async (round: string) => {
    for (const [id, tree] of kept) {
      const to = path.join(server.dir, `restored-${round}-${id}`);
      const r = await pc.run(["restore", id, "--to", to]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await describeTree(path.join(to, "Work")), tree, `${round}: restore point ${id}`);
      await rm(to, { recursive: true, force: true });
    }
  };
  const bucketBytes = async () => {
    let n = 0;
    for await (const o of ctx.blobs.list(`studios/${studioId}/`)) n += o.size;
    return n;
  };
  const storedBytes = async () => Number((await ctx.db.studio.findUniqueOrThrow({ where: { id: studioId } })).storedBytes);
  const collect = async (repackHooks?: RepackHooks) => {
    const r = await collectStudio(ctx, studioId, { repackHooks });
    assert.ok(r.ran);
    return r;
  };
  const crashes: string[] = [];
  const crashAt = (point: keyof RepackHooks): RepackHooks => ({
    [point]: () => {
      crashes.push(point);
      throw new Crash(point);
    },
  });

  it("the bucket loses the dead share and every remaining restore point restores byte for byte, across killed runs", async () => {
    await mkdir(src(), { recursive: true });
    for (let i = 0; i < 16; i++) await writeFile(path.join(src(), `shot-${i}.raw`), randomBytes(150_000 + i * 1000));
    const first = await backup();
    // Most of the first backup's files go; a few new ones come.
    for (let i = 2; i < 16; i++) await rm(path.join(src(), `shot-${i}.raw`));
    for (let i = 0; i < 3; i++) await writeFile(path.join(src(), `new-${i}.raw`), randomBytes(120_000));
    await backup();
    await writeFile(path.join(src(), "late.raw"), randomBytes(90_000));
    await backup();

    await ctx.db.restorePoint.delete({ where: { id: first } });
    kept.delete(first);
    const before = await bucketBytes();
    await collect(); // marks the first backup's chunks
    clock.advance(25 * HOUR);

    await assert.rejects(collect(crashAt("written")), Crash);
    await restoreAll("killed-after-write");
    await assert.rejects(collect(crashAt("switched")), Crash);
    await restoreAll("killed-after-switch");
    const clean = await collect();
    clock.advance(25 * HOUR); // the orphan of the first killed run is older than the grace
    const last = await collect();
    await restoreAll("clean");

    const afterBytes = await bucketBytes();
    const stored = await storedBytes();
    process.stderr.write(
      `repack e2e: bucket ${before} -> ${afterBytes} bytes, storedBytes (live rows) ${stored}; ` +
        `runs: ${JSON.stringify({ clean: pick(clean), last: pick(last) })}\n`,
    );
    assert.deepEqual(crashes, ["written", "switched"]);
    assert.ok(clean.deletedObjects >= 1, "the old pack, whose rows the killed run switched, is deleted");
    assert.ok(last.deletedObjects >= 1, "the new pack the first killed run wrote is collected after the grace");
    assert.ok(before - stored > before / 2, "most of the bucket was dead");
    assert.equal(afterBytes, stored, "the bucket holds the live chunks' bytes and nothing else: the dead share is gone");
    const again = await collect();
    assert.equal(again.repackedPacks, 0);
    assert.equal(again.deletedObjects, 0);
  });
});

const pick = (r: Awaited<ReturnType<typeof collectStudio>>) =>
  r.ran
    ? { deletedChunks: r.deletedChunks, repackedPacks: r.repackedPacks, repackedBytes: r.repackedBytes, deletedObjects: r.deletedObjects }
    : r;
