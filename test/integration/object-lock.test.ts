// Object Lock mode (S3_OBJECT_LOCK_DAYS; storage/s3-lock.ts) on Ceph RGW: the bucket is created
// with lock enabled, every object the server writes carries a GOVERNANCE retention, and the
// server's own credentials cannot delete a version before its date (a plain DELETE only adds a
// delete marker, which can be removed). The collector sends no DELETE for a locked object: it
// keeps the dead record and deletes the object on a run after the retention passed.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { collectStudio } from "../../server/services/gc/collect.ts";
import { grantPackUpload } from "../../server/services/packs.ts";
import { BlobLockedError, S3BlobStore } from "../../server/storage/index.ts";
import { packTableSha256 } from "../../protocol/pack-table.ts";
import { assertRestorable, commit, gcWorld, HOUR, newChunks, uploader, uploadPack, type GcWorld } from "../support/gc.ts";
import { s3ConfigFromEnv, s3SkipReason } from "../support/s3.ts";

describe("Object Lock mode", { skip: s3SkipReason() }, () => {
  let w: GcWorld;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    w = await gcWorld({ S3_OBJECT_LOCK_DAYS: "1" });
    const cfg = w.ctx.config.s3!;
    bucket = cfg.bucket;
    // The server's own credentials, as the API holds them.
    s3 = new S3Client({
      endpoint: cfg.endpoint,
      region: cfg.region,
      forcePathStyle: cfg.forcePathStyle,
      credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    });
  });
  after(async () => {
    s3?.destroy();
    await w?.close();
  });

  const versionsOf = async (key: string) => {
    const v = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    return { versions: (v.Versions ?? []).map((x) => x.VersionId!), markers: (v.DeleteMarkers ?? []).map((x) => x.VersionId!) };
  };

  it("writes every object locked (GOVERNANCE); the server's credentials cannot delete it before the date", async () => {
    const ids = newChunks(w, 3);
    const rp = randomUUID();
    const key = await uploadPack(w, rp, ids);
    await commit(w, rp, ids);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(head.ObjectLockMode, "GOVERNANCE");
    const until = head.ObjectLockRetainUntilDate!.getTime();
    assert.ok(Math.abs(until - (Date.now() + 86_400_000)) < 10 * 60_000, `retained until ${head.ObjectLockRetainUntilDate?.toISOString()}`);

    const [version] = (await versionsOf(key)).versions;
    await assert.rejects(
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: version })),
      (err: Error) => err.name === "AccessDenied",
      "deleting the locked version is refused",
    );
    // A plain DELETE of a versioned key only hides it behind a delete marker; the version stays,
    // and removing the marker (markers are not locked) brings it back.
    const hidden = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(hidden.DeleteMarker, true);
    const after = await versionsOf(key);
    assert.deepEqual(after.versions, [version]);
    const kept = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: version }));
    assert.equal(
      (await kept.Body!.transformToByteArray()).length,
      ids.reduce((n, id) => n + w.data.get(id)!.length, 0),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: after.markers[0] }));
    await assertRestorable(w);
  });

  it("the collector sends no DELETE for a locked object: the record stays dead and undeleted", async () => {
    const ids = newChunks(w, 4);
    const rp = randomUUID();
    const key = await uploadPack(w, rp, ids);
    await commit(w, rp, ids);
    await w.ctx.db.restorePoint.delete({ where: { id: rp } });
    await collectStudio(w.ctx, w.studioId);
    w.clock.advance(25 * HOUR);
    const r = await collectStudio(w.ctx, w.studioId);
    assert.ok(r.ran);
    assert.equal(r.deletedChunks, 4);
    assert.ok(r.lockedObjects >= 1);
    assert.equal(r.deletedObjects, 0);
    const up = await w.ctx.db.upload.findUnique({ where: { objectKey: key } });
    assert.equal(up?.state, "dead");
    assert.equal(up?.deletedAt, null, "tried again by a later run");
    assert.deepEqual((await versionsOf(key)).markers, [], "not even a delete marker: no DELETE was sent");
    assert.equal((await versionsOf(key)).versions.length, 1);
    await assertRestorable(w);
  });

  it("grants answer relay: a presigned PUT would not carry the lock", async (t) => {
    if (!w.ctx.direct) return t.skip("direct transfer is off");
    const data = randomBytes(100);
    const table = [{ id: randomBytes(32).toString("hex"), size: 100, sha256: randomBytes(32).toString("hex") }];
    const g = await grantPackUpload(w.ctx, uploader(w, randomUUID()), { size: 100, sha256: data, tableSha256: packTableSha256(table) });
    assert.equal(g.mode, "relay");
  });

  it("deletes every version once the retention has passed; refuses a bucket created without lock", async () => {
    const cfg = s3ConfigFromEnv(`lock-${randomBytes(4).toString("hex")}`)!;
    const short = new S3BlobStore({ ...cfg, objectLockDays: 3 / 86_400 }); // 3 seconds
    await short.init();
    await short.put("studios/x/packs/ab/short", randomBytes(10));
    await assert.rejects(short.delete("studios/x/packs/ab/short"), BlobLockedError);
    assert.ok(await short.stat("studios/x/packs/ab/short"));
    await sleep(4_000);
    await short.delete("studios/x/packs/ab/short");
    assert.equal(await short.stat("studios/x/packs/ab/short"), null);
    const left = await s3.send(new ListObjectVersionsCommand({ Bucket: cfg.bucket }));
    assert.equal((left.Versions ?? []).length + (left.DeleteMarkers ?? []).length, 0, "no version or marker left");

    const plain = s3ConfigFromEnv(`nolock-${randomBytes(4).toString("hex")}`)!;
    await new S3BlobStore(plain).init();
    await assert.rejects(new S3BlobStore({ ...plain, objectLockDays: 1 }).init(), /Object Lock/);
  });
});
