// services/upload-records.ts in process: a grant becomes stored only for its device and before it
// expires, in the same statement that claims its chunk rows; a relayed pack's record and rows go
// in together or not at all.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  insertGrant,
  insertStoredWithChunks,
  markStoredWithChunks,
  uploadOf,
  type NewUpload,
} from "../../../../server/services/upload-records.ts";
import { objectKeyForPack } from "../../../../server/storage/index.ts";
import { startInProcess, type InProcess } from "../../../support/in-process.ts";
import { enrollTestDevice, newTestStudio, type TestDevice } from "../../../support/studio.ts";

const hex = (n: number) => randomBytes(n).toString("hex");
/** A pack's chunk rows: `n` chunks of 100 bytes, one after the other in `key`. */
const rowsOf = (key: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ idHex: hex(32), size: 100, sha256Hex: hex(32), objectKey: key, offset: i * 100 }));

describe("upload records service", () => {
  let s: InProcess;
  let device: TestDevice;
  let other: TestDevice;
  const upload = (key: string, who = device): NewUpload => ({
    objectKey: key,
    studioId: who.studioId,
    deviceId: who.deviceId,
    sessionId: randomUUID(),
    size: 300,
    sha256Hex: hex(32),
    tableSha256Hex: hex(32),
    expiresAt: null,
  });
  const chunkCount = (key: string) => s.ctx.db.chunk.count({ where: { objectKey: key } });

  before(async () => {
    s = await startInProcess();
    const studio = await newTestStudio(s.ctx);
    device = await enrollTestDevice(s.ctx, studio, "front-desk");
    other = await enrollTestDevice(s.ctx, studio, "office");
  });
  after(async () => s?.close());

  it("a grant becomes stored by its device's report, with its chunk rows, once", async () => {
    const key = objectKeyForPack(device.studioId);
    const u = upload(key);
    await insertGrant(s.ctx, { ...u, expiresAt: new Date(Date.now() + 60_000) });
    const { expiresAt: _none, ...recorded } = u;
    assert.deepEqual(await uploadOf(s.ctx, key), { ...recorded, state: "granted", expired: false });
    const rows = rowsOf(key, 3);

    assert.equal(
      (await markStoredWithChunks(s.ctx, { objectKey: key, deviceId: other.deviceId, studioId: other.studioId }, rows)).size,
      0,
      "another device of the studio",
    );
    assert.equal((await uploadOf(s.ctx, key))!.state, "granted");
    assert.equal(await chunkCount(key), 0, "no row claimed by a refused report");

    const inserted = await markStoredWithChunks(s.ctx, { objectKey: key, deviceId: device.deviceId, studioId: device.studioId }, rows);
    assert.deepEqual([...inserted].sort(), rows.map((r) => r.idHex).sort());
    assert.equal((await uploadOf(s.ctx, key))!.state, "stored");
    assert.equal(await chunkCount(key), 3);

    assert.equal(
      (await markStoredWithChunks(s.ctx, { objectKey: key, deviceId: device.deviceId, studioId: device.studioId }, rows)).size,
      0,
      "a repeated report claims nothing",
    );
    assert.equal(await chunkCount(key), 3);
  });

  it("an expired grant cannot be reported", async () => {
    const key = objectKeyForPack(device.studioId);
    await insertGrant(s.ctx, { ...upload(key), expiresAt: new Date(Date.now() - 1000) });
    assert.equal((await uploadOf(s.ctx, key))!.expired, true);
    assert.equal(
      (await markStoredWithChunks(s.ctx, { objectKey: key, deviceId: device.deviceId, studioId: device.studioId }, rowsOf(key, 2))).size,
      0,
    );
    assert.equal((await uploadOf(s.ctx, key))!.state, "granted");
    assert.equal(await chunkCount(key), 0);
  });

  it("a relayed pack: record and rows together; chunks the studio holds already are not claimed again", async () => {
    const first = objectKeyForPack(device.studioId);
    const rows = rowsOf(first, 2);
    assert.equal((await insertStoredWithChunks(s.ctx, upload(first), rows)).size, 2);
    assert.equal((await uploadOf(s.ctx, first))!.state, "stored");

    const second = objectKeyForPack(device.studioId);
    const again = [...rowsOf(second, 1), { ...rows[0]!, objectKey: second, offset: 100 }];
    const inserted = await insertStoredWithChunks(s.ctx, upload(second), again);
    assert.deepEqual([...inserted], [again[0]!.idHex], "only the new chunk");
    assert.equal((await uploadOf(s.ctx, second))!.state, "stored", "the surplus pack is recorded all the same");
    const held = await s.ctx.db.chunk.findMany({ where: { objectKey: first }, select: { objectKey: true } });
    assert.equal(held.length, 2, "the rows already held still point at the first pack");
  });

  it("a record that cannot be inserted inserts no chunk row either (one statement)", async () => {
    const key = objectKeyForPack(device.studioId);
    await insertGrant(s.ctx, { ...upload(key), expiresAt: new Date(Date.now() + 60_000) });
    await assert.rejects(insertStoredWithChunks(s.ctx, upload(key), rowsOf(key, 2)), "the object key is taken");
    assert.equal(await chunkCount(key), 0);
  });

  it("an unknown key has no record", async () => {
    assert.equal(await uploadOf(s.ctx, objectKeyForPack(device.studioId)), null);
  });
});
