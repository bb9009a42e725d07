// services/enrollment.ts in process: the first device installs the studio's keys, later ones are
// certified by them, a token is used once, and nothing is stored when a request is refused.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { enrollDevice, getKeyset, lookupEnrollment } from "../../../../server/services/enrollment.ts";
import { OPERATOR } from "../../../../server/services/audit.ts";
import { createEnrollmentToken } from "../../../../server/services/studios.ts";
import { createStudioKeys } from "../../../../uploader/format/index.ts";
import { startInProcess, type InProcess } from "../../../support/in-process.ts";
import { CHEAP_SCRYPT, enrollmentRequest, enrollTestDevice, newTestStudio } from "../../../support/studio.ts";

describe("enrollment service", () => {
  let s: InProcess;
  const devices = (studioId: string) => s.ctx.db.device.count({ where: { studioId } });

  before(async () => {
    s = await startInProcess();
  });
  after(async () => s?.close());

  it("the first device installs the keyset; a later one is certified by it", async () => {
    const studio = await newTestStudio(s.ctx);
    const token = await studio.token();
    assert.deepEqual(await lookupEnrollment(s.ctx, token), { studioId: studio.studioId, studioName: "Acme Photo", keyset: null });
    await assert.rejects(getKeyset(s.ctx, studio.studioId), { code: "NOT_FOUND" }, "no keys before the first device");

    const first = await enrollDevice(s.ctx, enrollmentRequest(token, studio.studioId, "front-desk", studio.secrets, studio.keyset));
    assert.equal(first.firstDevice, true);
    assert.equal(first.studioId, studio.studioId);
    assert.ok(first.accessToken.length > 20);
    assert.deepEqual((await getKeyset(s.ctx, studio.studioId)).keyset, studio.keyset);

    const second = await studio.token();
    assert.deepEqual((await lookupEnrollment(s.ctx, second)).keyset, studio.keyset);
    const later = await enrollDevice(s.ctx, enrollmentRequest(second, studio.studioId, "office", studio.secrets));
    assert.equal(later.firstDevice, false);
    assert.equal(await devices(studio.studioId), 2);
  });

  it("a token enrolls once; a used or expired one is not even looked up", async () => {
    const studio = await newTestStudio(s.ctx);
    const token = await studio.token();
    await enrollDevice(s.ctx, enrollmentRequest(token, studio.studioId, "front-desk", studio.secrets, studio.keyset));
    await assert.rejects(enrollDevice(s.ctx, enrollmentRequest(token, studio.studioId, "again", studio.secrets)), {
      code: "TOKEN_INVALID",
    });
    await assert.rejects(lookupEnrollment(s.ctx, token), { code: "TOKEN_INVALID" });

    const expiring = (await createEnrollmentToken(s.ctx, OPERATOR, { studioId: studio.studioId, ttlMs: 1 })).token;
    await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(lookupEnrollment(s.ctx, expiring), { code: "TOKEN_INVALID" });
    await assert.rejects(enrollDevice(s.ctx, enrollmentRequest(expiring, studio.studioId, "late", studio.secrets)), {
      code: "TOKEN_INVALID",
    });
    await assert.rejects(lookupEnrollment(s.ctx, "dse_never-issued"), { code: "TOKEN_INVALID" });
    assert.equal(await devices(studio.studioId), 1);
  });

  it("a certificate not signed by the studio's key creates nothing and leaves the token usable", async () => {
    const studio = await newTestStudio(s.ctx);
    await enrollTestDevice(s.ctx, studio);
    const token = await studio.token();
    const stranger = createStudioKeys("another studio's passphrase", CHEAP_SCRYPT).secrets;
    await assert.rejects(enrollDevice(s.ctx, enrollmentRequest(token, studio.studioId, "intruder", stranger)), {
      code: "CERTIFICATE_INVALID",
    });
    const forOther = enrollmentRequest(token, studio.studioId, "renamed", studio.secrets);
    await assert.rejects(enrollDevice(s.ctx, { ...forOther, deviceName: "not-the-certified-name" }), { code: "CERTIFICATE_INVALID" });
    assert.equal(await devices(studio.studioId), 1);
    await enrollDevice(s.ctx, enrollmentRequest(token, studio.studioId, "office", studio.secrets));
    assert.equal(await devices(studio.studioId), 2, "the token was still unused");
  });

  it("two racing first devices: one keyset wins, the other gets KEYSET_EXISTS with its token unused", async () => {
    const studio = await newTestStudio(s.ctx);
    const [a, b] = [await studio.token(), await studio.token()];
    const theirs = createStudioKeys("the other first device's passphrase", CHEAP_SCRYPT);
    await enrollDevice(s.ctx, enrollmentRequest(a, studio.studioId, "first", studio.secrets, studio.keyset));
    await assert.rejects(enrollDevice(s.ctx, enrollmentRequest(b, studio.studioId, "also-first", theirs.secrets, theirs.keyset)), {
      code: "KEYSET_EXISTS",
    });
    assert.deepEqual((await getKeyset(s.ctx, studio.studioId)).keyset, studio.keyset, "the keys are the winner's");
    assert.deepEqual((await lookupEnrollment(s.ctx, b)).keyset, studio.keyset, "the loser's token still looks up, now with the keys");
  });

  it("a later device cannot enroll before the studio has keys", async () => {
    const studio = await newTestStudio(s.ctx);
    await assert.rejects(enrollDevice(s.ctx, enrollmentRequest(await studio.token(), studio.studioId, "early", studio.secrets)), {
      code: "KEYSET_MISSING",
    });
    assert.equal(await devices(studio.studioId), 0);
  });
});
