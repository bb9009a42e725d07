// Repack (docs/garbage-collection.md, step 4), in process against real Postgres and the blob store
// (Ceph RGW when present): a mostly-dead pack is rewritten with its live chunks and the old object
// deleted, so the bucket shrinks by the dead share; a pack below the threshold stays as it is; a
// run that dies after writing the new pack, or after switching the rows, leaves every committed
// chunk readable, and the next runs finish the job (the orphan is collected after the grace).
// Studio.storedBytes stays the sum of the rows' sizes and uploadedBytes does not count repacks.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { collectStudio } from "../../server/services/gc/collect.ts";
import type { RepackHooks } from "../../server/services/gc/repack.ts";
import { assertRestorable, commit, gcWorld, hasObject, HOUR, newChunks, uploadPack, type GcWorld } from "../support/gc.ts";

class Crash extends Error {}

describe("repack of mostly-dead packs", () => {
  let w: GcWorld;

  before(async () => {
    w = await gcWorld();
  });
  after(async () => {
    await w?.close();
  });

  const collect = async (repackHooks?: RepackHooks) => {
    const r = await collectStudio(w.ctx, w.studioId, { repackHooks });
    assert.ok(r.ran);
    return r;
  };
  /** Bytes the bucket holds for the studio (every object under its prefix). */
  const bucketBytes = async () => {
    let n = 0;
    for await (const o of w.ctx.blobs.list(`studios/${w.studioId}/`)) n += o.size;
    return n;
  };
  const counters = async () => {
    const s = await w.ctx.db.studio.findUniqueOrThrow({ where: { id: w.studioId } });
    const [rows] = await w.ctx.db.$queryRaw<Array<{ bytes: bigint | null }>>`
      SELECT sum(size)::bigint AS bytes FROM "Chunk" WHERE "studioId" = ${w.studioId}::uuid`;
    return { stored: Number(s.storedBytes), rowBytes: Number(rows?.bytes ?? 0), uploaded: Number(s.uploadedBytes) };
  };
  const keyOf = async (id: string) => {
    const [row] = await w.ctx.db.$queryRaw<Array<{ k: string }>>`
      SELECT "objectKey" AS k FROM "Chunk" WHERE "studioId" = ${w.studioId}::uuid AND id = decode(${id}, 'hex')`;
    return row!.k;
  };
  const sizeOf = (ids: string[]) => ids.reduce((n, id) => n + w.data.get(id)!.length, 0);
  /** A pack of `live` + `dead` chunks committed as one restore point, and a second point keeping only `live`. */
  const packWithDead = async (live: number, dead: number) => {
    const keep = newChunks(w, live, 1000);
    const drop = newChunks(w, dead, 1000);
    const first = randomUUID();
    const key = await uploadPack(w, first, [...keep, ...drop].sort());
    await commit(w, first, [...keep, ...drop]);
    const second = randomUUID();
    await commit(w, second, keep);
    return { key, keep, drop, first, second };
  };
  /** Deletes the restore point (retention's hard delete) and runs until its chunks are swept. */
  const dropAndSweep = async (restorePointId: string, repackHooks?: RepackHooks) => {
    await w.ctx.db.restorePoint.delete({ where: { id: restorePointId } });
    await collect(); // marks
    w.clock.advance(25 * HOUR);
    return collect(repackHooks);
  };

  it("rewrites a mostly-dead pack with its live chunks: the bucket shrinks by the dead share, restores stay byte-identical", async () => {
    const mostly = await packWithDead(2, 8); // 80 % dead
    const barely = await packWithDead(7, 3); // 30 % dead: kept as it is
    await w.ctx.db.restorePoint.delete({ where: { id: barely.first } });
    const before = await bucketBytes();
    const c0 = await counters();
    const r = await dropAndSweep(mostly.first);
    assert.equal(r.deletedChunks, 8 + 3);
    assert.equal(r.repackedPacks, 1);
    assert.equal(r.repackedBytes, sizeOf(mostly.keep));
    assert.equal(r.repackFreedBytes, sizeOf(mostly.drop));
    assert.equal(await hasObject(w, mostly.key), false, "the old pack is deleted in the same run");
    assert.equal(await hasObject(w, barely.key), true);
    for (const id of mostly.keep) assert.notEqual(await keyOf(id), mostly.key);
    assert.equal(before - (await bucketBytes()), sizeOf(mostly.drop), "the bucket shrinks by exactly the dead bytes of the repacked pack");
    const c1 = await counters();
    assert.equal(c1.stored, c1.rowBytes, "storedBytes is the sum of the rows");
    assert.equal(c0.stored - c1.stored, sizeOf(mostly.drop) + sizeOf(barely.drop), "storedBytes drops by the swept chunks only");
    assert.equal(c1.uploaded, c0.uploaded, "a repack is not an upload");
    assert.ok((await assertRestorable(w)) >= 9);
    const again = await collect();
    assert.equal(again.repackedPacks, 0, "the new pack is all live");
  });

  it("a run killed after writing the new pack: rows still on the old one, next run repacks, the orphan goes after the grace", async () => {
    const p = await packWithDead(3, 9);
    let orphan = "";
    await assert.rejects(
      dropAndSweep(p.first, {
        written: ({ newKey }) => {
          orphan = newKey;
          throw new Crash("killed after the write");
        },
      }),
      Crash,
    );
    assert.ok(await hasObject(w, orphan), "the new pack was written");
    for (const id of p.keep) assert.equal(await keyOf(id), p.key, "no row switched");
    await assertRestorable(w);

    const next = await collect();
    assert.equal(next.repackedPacks, 1);
    assert.equal(await hasObject(w, p.key), false);
    assert.equal(await hasObject(w, orphan), true, "the orphan is younger than the grace");
    await assertRestorable(w);
    w.clock.advance(25 * HOUR);
    const later = await collect();
    assert.ok(later.deletedObjects >= 1);
    assert.equal(await hasObject(w, orphan), false, "the orphan is collected");
    await assertRestorable(w);
    const c = await counters();
    assert.equal(c.stored, c.rowBytes);
  });

  it("a run killed after the switch: every chunk reads from the new pack, the next run deletes the old one", async () => {
    const p = await packWithDead(4, 12);
    let fresh = "";
    await assert.rejects(
      dropAndSweep(p.first, {
        switched: ({ newKey }) => {
          fresh = newKey;
          throw new Crash("killed after the switch");
        },
      }),
      Crash,
    );
    for (const id of p.keep) assert.equal(await keyOf(id), fresh, "rows switched");
    assert.equal(await hasObject(w, p.key), true, "the old pack not deleted yet");
    assert.equal((await w.ctx.db.upload.findUnique({ where: { objectKey: p.key } }))?.state, "dead");
    await assertRestorable(w);

    const next = await collect();
    assert.ok(next.deletedObjects >= 1);
    assert.equal(next.repackedPacks, 0);
    assert.equal(await hasObject(w, p.key), false, "the old pack is deleted by the next run");
    assert.equal(await hasObject(w, fresh), true);
    await assertRestorable(w);
    const c = await counters();
    assert.equal(c.stored, c.rowBytes);
    // Every object left is a pack some row names: nothing but live bytes and the packs below the threshold.
    const named = await w.ctx.db.$queryRaw<Array<{ k: string }>>`
      SELECT DISTINCT "objectKey" AS k FROM "Chunk" WHERE "studioId" = ${w.studioId}::uuid`;
    const keys = new Set(named.map((n) => n.k));
    for await (const o of w.ctx.blobs.list(`studios/${w.studioId}/`)) assert.ok(keys.has(o.key), `${o.key} is named by a row`);
  });
});
