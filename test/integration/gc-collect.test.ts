// Garbage collection (docs/garbage-collection.md), in process against real Postgres and the blob
// store (Ceph RGW when present): an unreferenced chunk survives the grace and is then deleted with
// its pack; a referenced one never; a chunk answered present to a running session survives past
// the grace; a sweep between a commit's check and its insert never yields a point with a missing
// chunk; abandoned grants are deleted after their expiry.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Ctx } from "../../server/context.ts";
import { absentIds } from "../../server/services/absent-ids.ts";
import { collectStudio } from "../../server/services/gc/collect.ts";
import { completePackUpload, grantPackUpload } from "../../server/services/packs.ts";
import { packTableSha256 } from "../../protocol/pack-table.ts";
import {
  assertRestorable,
  commit,
  DAY,
  gcWorld,
  hasObject,
  hasRow,
  HOUR,
  newChunks,
  uploader,
  uploadPack,
  type GcWorld,
} from "../support/gc.ts";

const errorCode = (err: unknown) => (err as { code?: string }).code;

describe("garbage collection", () => {
  let w: GcWorld;
  const collect = async (ctx: Ctx = w.ctx) => {
    const r = await collectStudio(ctx, w.studioId);
    assert.ok(r.ran);
    return r;
  };
  const deadSince = async (id: string) => {
    const [row] = await w.ctx.db.$queryRaw<Array<{ d: Date | null }>>`
      SELECT "deadSince" AS d FROM "Chunk" WHERE "studioId" = ${w.studioId}::uuid AND id = decode(${id}, 'hex')`;
    return row?.d ?? null;
  };
  const dropPoint = (id: string) => w.ctx.db.restorePoint.delete({ where: { id } });

  before(async () => {
    w = await gcWorld();
  });
  after(async () => {
    await w?.close();
  });

  it("keeps referenced chunks and collects an unreferenced one after the grace, with its pack", async () => {
    const kept = newChunks(w, 3);
    const rp = randomUUID();
    const keptPack = await uploadPack(w, rp, kept);
    await commit(w, rp, kept);
    const loose = newChunks(w, 2);
    const abandoned = randomUUID(); // a backup killed before its reference pages
    const loosePack = await uploadPack(w, abandoned, loose);

    const first = await collect();
    assert.equal(first.marked, 2);
    assert.ok(await deadSince(loose[0]!), "marked");
    assert.equal(await deadSince(kept[0]!), null);
    w.clock.advance(25 * HOUR); // past the grace, but the abandoned session's lease (7 days) runs
    assert.equal((await collect()).deletedChunks, 0, "the session that uploaded them may still commit");
    w.clock.advance(7 * DAY);
    const swept = await collect();
    assert.equal(swept.deletedChunks, 2);
    assert.equal(swept.deletedObjects, 1);
    for (const id of loose) assert.equal(await hasRow(w, id), false);
    assert.equal(await hasObject(w, loosePack), false, "the pack object is deleted");
    assert.equal((await w.ctx.db.upload.findUnique({ where: { objectKey: loosePack } }))?.state, "dead");
    for (const id of kept) assert.equal(await hasRow(w, id), true);
    assert.equal(await hasObject(w, keptPack), true);
    assert.ok((await assertRestorable(w)) >= 3);

    // A restore point row keeps its chunks whatever happens to it, until the row is deleted
    // (retention's hard delete after its own grace).
    w.clock.advance(30 * DAY);
    assert.equal((await collect()).deletedChunks, 0);
    await dropPoint(rp);
    await collect();
    w.clock.advance(25 * HOUR);
    const gone = await collect();
    assert.equal(gone.deletedChunks, 3);
    assert.equal(await hasObject(w, keptPack), false);
  });

  it("a chunk the dedup query called present survives past the grace until the session commits", async () => {
    const old = newChunks(w, 4);
    const first = randomUUID();
    const pack = await uploadPack(w, first, old);
    await commit(w, first, old);
    await dropPoint(first);
    await collect(); // marks them
    w.clock.advance(2 * HOUR);

    const session = randomUUID();
    assert.deepEqual(
      await absentIds(
        w.ctx,
        w.studioId,
        old.map((h) => Buffer.from(h, "hex")),
        session,
      ),
      [],
      "all present",
    );
    w.clock.advance(3 * DAY); // far past the grace, within the session's lease
    for (let i = 0; i < 3; i++) {
      const r = await collect();
      assert.equal(r.deletedChunks, 0);
      w.clock.advance(6 * HOUR);
    }
    await commit(w, session, old);
    for (const id of old) assert.equal(await hasRow(w, id), true);
    assert.equal(await hasObject(w, pack), true);
    await assertRestorable(w);
  });

  it("a session whose lease expired is told to send again: CHUNKS_MISSING, never a point with a missing chunk", async () => {
    const old = newChunks(w, 2);
    const first = randomUUID();
    await uploadPack(w, first, old);
    await commit(w, first, old);
    await dropPoint(first);
    await collect();
    const session = randomUUID();
    assert.deepEqual(
      await absentIds(
        w.ctx,
        w.studioId,
        old.map((h) => Buffer.from(h, "hex")),
        session,
      ),
      [],
    );
    w.clock.advance(8 * DAY); // the lease (7 days) expired
    assert.equal((await collect()).deletedChunks, 0, "revived by the dedup query: marked again now");
    w.clock.advance(25 * HOUR);
    assert.equal((await collect()).deletedChunks, 2);
    await assert.rejects(commit(w, session, old), (err) => errorCode(err) === "CHUNKS_MISSING");
    await uploadPack(w, session, old); // the uploader sends them again
    await commit(w, session, old);
    await assertRestorable(w);
  });

  it("a sweep between the commit's check and its insert: the commit re-checks (CHUNKS_MISSING), or keeps the chunk", async () => {
    const ids = newChunks(w, 3);
    const session = randomUUID();
    await uploadPack(w, session, ids);
    await collect();
    w.clock.advance(10 * DAY); // marked long ago, lease expired: only the pending pages keep them
    let injected = 0;
    // Runs the sweep at the commit's transaction (after its check), as a racing worker would.
    const racing = (what: () => Promise<void>): Ctx => ({
      ...w.ctx,
      db: new Proxy(w.ctx.db, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target) as unknown;
          if (prop === "$transaction" && injected === 0) {
            return async (...args: unknown[]) => {
              injected++;
              await what();
              return (v as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      }),
    });
    // A real sweep: the pending pages are in the live set, so it deletes nothing and the commit succeeds.
    await commit(
      w,
      session,
      ids,
      racing(async () => void (await collect())),
    );
    assert.equal(injected, 1);
    for (const id of ids) assert.equal(await hasRow(w, id), true);

    // A sweep that did delete one of them (its generation moved): the commit must not insert.
    const next = randomUUID();
    const more = newChunks(w, 2);
    await uploadPack(w, next, more);
    injected = 0;
    const victim = more[0]!;
    await assert.rejects(
      commit(
        w,
        next,
        more,
        racing(async () => {
          await w.ctx.db.$executeRaw`DELETE FROM "Chunk" WHERE "studioId" = ${w.studioId}::uuid AND id = decode(${victim}, 'hex')`;
          await w.ctx.db.$executeRaw`UPDATE "GcState" SET generation = generation + 1 WHERE "studioId" = ${w.studioId}::uuid`;
        }),
      ),
      (err) => errorCode(err) === "CHUNKS_MISSING",
    );
    assert.equal(await w.ctx.db.restorePoint.count({ where: { id: next } }), 0, "nothing committed");
    await uploadPack(w, next, [victim]);
    await commit(w, next, more);
    await assertRestorable(w);
  });

  it("deletes the object of a grant never reported, after its expiry", async (t) => {
    if (!w.ctx.direct) return t.skip("no S3: grants need direct transfer");
    const session = randomUUID();
    const data = randomBytes(100);
    const sha256 = createHash("sha256").update(data).digest();
    const table = [{ id: randomBytes(32).toString("hex"), size: 100, sha256: sha256.toString("hex") }];
    const grant = await grantPackUpload(w.ctx, uploader(w, session), { size: 100, sha256, tableSha256: packTableSha256(table) });
    assert.equal(grant.mode, "direct");
    const key = (await w.ctx.db.upload.findFirst({ where: { sessionId: session } }))!.objectKey;
    await w.ctx.blobs.put(key, data); // the PUT went through; the report never came
    await collect();
    assert.equal(await hasObject(w, key), true, "not before the grant expired");
    w.clock.advance(2 * DAY);
    const r = await collect();
    assert.ok(r.deadUploads >= 1);
    assert.equal(await hasObject(w, key), false);
    await assert.rejects(
      completePackUpload(w.ctx, { studioId: w.studioId, deviceId: w.deviceId }, { key, sha256: sha256.toString("hex"), chunks: table }),
      (err) => errorCode(err) === "UPLOAD_GONE",
    );
  });
});
