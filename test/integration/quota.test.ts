// Quotas (server/services/quota.ts) against the real Postgres and blob stores: a pack is refused
// with 413 QUOTA_EXCEEDED and the numbers once it would take the studio past quota + grace, on the
// relayed path (streamed into the local store before a byte is read, buffered for S3) and on the
// grant path (S3 direct: granted packs not yet reported count, expired ones stop counting);
// inside the grace it is admitted and the grant carries a warning.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../../server/clock.ts";
import { AppError } from "../../server/errors.ts";
import { grantPackUpload, storePack, storePackStream, type Uploader } from "../../server/services/packs.ts";
import { quotaLevel, studioQuotaLevel } from "../../server/services/quota.ts";
import { startInProcess, type InProcess } from "../support/in-process.ts";
import { s3SkipReason } from "../support/s3.ts";
import { enrollTestDevice, newTestStudio } from "../support/studio.ts";

function pack(size: number) {
  const data = randomBytes(size);
  const table = [{ id: randomBytes(32).toString("hex"), size, sha256: createHash("sha256").update(data).digest("hex") }];
  return { data, table, sha256: createHash("sha256").update(data).digest(), tableSha256: randomBytes(32) };
}

async function uploaderIn(s: InProcess, quotaBytes: number | null): Promise<Uploader> {
  const studio = await newTestStudio(s.ctx, `Quota ${randomUUID().slice(0, 8)}`);
  const device = await enrollTestDevice(s.ctx, studio);
  await s.ctx.db.studio.update({ where: { id: studio.studioId }, data: { quotaBytes: quotaBytes === null ? null : BigInt(quotaBytes) } });
  return { studioId: studio.studioId, deviceId: device.deviceId, sessionId: randomUUID() };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  assert.fail("the upload was admitted");
}

const stored = async (s: InProcess, studioId: string) =>
  Number((await s.ctx.db.studio.findUniqueOrThrow({ where: { id: studioId } })).storedBytes);

describe("quota on relayed packs, streamed into the local store (grace 10 %)", () => {
  let s: InProcess;
  before(async () => {
    s = await startInProcess({ env: { QUOTA_GRACE_PERCENT: "10" } });
  });
  after(async () => s?.close());

  it("admits up to quota + grace with warnings from 80 %, then refuses with the numbers before reading the body", async () => {
    const who = await uploaderIn(s, 1000);
    const relay = (size: number) => {
      const p = pack(size);
      return storePack(s.ctx, who, p.table, p.data);
    };
    await relay(600);
    assert.equal(await stored(s, who.studioId), 600);
    assert.equal((await grantPackUpload(s.ctx, who, { size: 100, ...pack(100) })).quota, undefined, "700 of 1000: no warning");

    const at90 = await grantPackUpload(s.ctx, who, { size: 300, ...pack(300) });
    assert.deepEqual(
      { ...at90.quota, message: undefined },
      { level: "warn80", used: 900, quota: 1000, limit: 1100, percent: 90, message: undefined },
    );
    await relay(300);
    const at96 = await grantPackUpload(s.ctx, who, { size: 60, ...pack(60) });
    assert.equal(at96.quota?.level, "warn95");

    // Over the quota, inside the grace: tonight's backup still gets in, and is told.
    const over = await grantPackUpload(s.ctx, who, { size: 150, ...pack(150) });
    assert.equal(over.mode, "relay");
    assert.equal(over.quota?.level, "over");
    assert.match(over.quota!.message, /over its storage quota \(105 % of 1000 bytes\): backups go on up to 1100 bytes/);
    await relay(150);
    assert.equal(await stored(s, who.studioId), 1050);
    assert.deepEqual(await studioQuotaLevel(s.ctx, who.studioId), { level: "over", used: 1050, quota: 1000, limit: 1100, percent: 105 });

    // 1050 + 51 > 1100: refused at the grant and at the relay, with the numbers.
    const files = (await readdir(s.ctx.config.blobDir, { recursive: true })).length;
    const atGrant = await refusal(grantPackUpload(s.ctx, who, { size: 51, ...pack(51) }));
    assert.equal(atGrant.code, "QUOTA_EXCEEDED");
    assert.equal(atGrant.status, 413);
    assert.deepEqual(atGrant.details, { used: 1050, pending: 0, quota: 1000, limit: 1100, upload: 51 });
    assert.match(
      atGrant.message,
      /storage quota is used up: 1050 bytes stored of a 1000 bytes quota .* this upload of 51 bytes does not fit/,
    );
    const buffered = await refusal(relay(51));
    assert.deepEqual(buffered.details, { used: 1050, pending: 0, quota: 1000, limit: 1100, upload: 51 });
    const p = pack(51);
    let read = false;
    const body = (async function* () {
      read = true;
      yield p.data;
    })();
    const streamed = await refusal(storePackStream(s.ctx, who, p.table, body));
    assert.equal(streamed.code, "QUOTA_EXCEEDED");
    assert.equal(read, false, "refused before a byte of the body was read");
    assert.equal((await readdir(s.ctx.config.blobDir, { recursive: true })).length, files, "nothing stored");
    assert.equal(await stored(s, who.studioId), 1050);
    // Exactly up to the limit is admitted.
    await relay(50);
    assert.equal(await stored(s, who.studioId), 1100);
    assert.equal((await studioQuotaLevel(s.ctx, who.studioId)).level, "full");
  });

  it("a studio without a quota is never refused nor warned; another studio's usage does not count", async () => {
    const full = await uploaderIn(s, 100);
    const free = await uploaderIn(s, null);
    const hundred = pack(100);
    await storePack(s.ctx, full, hundred.table, hundred.data);
    const big = pack(5000);
    await storePack(s.ctx, free, big.table, big.data);
    assert.equal((await grantPackUpload(s.ctx, free, { size: 5000, ...pack(5000) })).quota, undefined);
    assert.deepEqual(await studioQuotaLevel(s.ctx, free.studioId), { level: "none", used: 5000, quota: null, limit: null, percent: null });
    assert.equal((await grantPackUpload(s.ctx, full, { size: 5, ...pack(5) })).quota?.level, "over");
    assert.equal((await refusal(grantPackUpload(s.ctx, full, { size: 11, ...pack(11) }))).code, "QUOTA_EXCEEDED");
  });

  it("quotaLevel: thresholds at 80, 95, 100 % and quota + grace", () => {
    const at = (used: number) => quotaLevel({ storedBytes: used, quotaBytes: 1000 }, 10).level;
    assert.deepEqual([0, 799, 800, 949, 950, 999, 1000, 1099, 1100, 5000].map(at), [
      "ok",
      "ok",
      "warn80",
      "warn80",
      "warn95",
      "warn95",
      "over",
      "over",
      "full",
      "full",
    ]);
    assert.equal(quotaLevel({ storedBytes: 1000n, quotaBytes: 1000n }, 0).level, "full", "no grace: full at the quota");
  });
});

describe("quota on grants, S3 direct transfer (grace 0 %)", { skip: s3SkipReason() }, () => {
  let s: InProcess;
  before(async () => {
    s = await startInProcess({ s3: true, env: { QUOTA_GRACE_PERCENT: "0" } });
  });
  after(async () => s?.close());

  it("granted packs not yet reported count until their grant expires (the clock)", async () => {
    const who = await uploaderIn(s, 1000);
    const clock = new ManualClock(new Date());
    const ctx = { ...s.ctx, clock };
    const first = await grantPackUpload(ctx, who, { size: 600, ...pack(600) });
    assert.equal(first.mode, "direct");
    assert.equal(first.quota, undefined, "600 of 1000");
    const second = await grantPackUpload(ctx, who, { size: 300, ...pack(300) });
    assert.equal(second.mode, "direct");
    assert.equal(second.quota?.level, "warn80");
    assert.equal(second.quota?.used, 900, "stored 0 + granted 600 + this 300");
    const refused = await refusal(grantPackUpload(ctx, who, { size: 101, ...pack(101) }));
    assert.deepEqual(refused.details, { used: 0, pending: 900, quota: 1000, limit: 1000, upload: 101 });
    assert.match(refused.message, /0 bytes stored and 900 bytes being uploaded of a 1000 bytes quota/);
    // Buffered relay (the S3 store writes no streams) is refused the same way.
    const p = pack(101);
    assert.equal((await refusal(storePack(ctx, who, p.table, p.data))).code, "QUOTA_EXCEEDED");
    // Grants die with their URL (DIRECT_URL_TTL_SECONDS, 600 s): then they no longer hold room.
    clock.advance(601_000);
    const later = await grantPackUpload(ctx, who, { size: 1000, ...pack(1000) });
    assert.equal(later.mode, "direct");
    assert.equal(later.quota?.level, "full");
  });
});
