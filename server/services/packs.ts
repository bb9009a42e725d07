// Packs: several sealed chunks stored as one object, so a backup costs one PUT (and the API one
// HEAD and one INSERT) per pack of up to MAX_PACK_BYTES instead of per ~1 MiB chunk, and a restore
// one ranged GET per run of neighbouring chunks (restic's pack files, Kopia's pack blobs). Each
// chunk keeps its own row, (studioId, id) -> objectKey + offset + size + sha256, so the dedup
// query, integrity checks, repair and restore stay per chunk; a pack is written once and never
// modified or overwritten, like any object.
//
// An upload describes its pack with a table (protocol/schemas.ts, packTable): the chunks in order, each
// {id, size, sha256}; chunk i starts where chunk i-1 ends and the sizes add up to the pack's size.
// Every pack object has an upload record (upload-records.ts, model Upload) naming the device, the
// upload session, the object's size and SHA-256 and the SHA-256 of its table (protocol/pack-table.ts).
//   - relayed (PUT /v1/packs): the API hashes every chunk's bytes against the table, and a pack
//     with a chunk that does not match is not stored. Where the blob store writes streams (the
//     local directory), the pack goes to disk as it arrives, hashed on the way (storePackStream),
//     so a pack in flight costs a few MiB of memory, not its size; otherwise it is read whole
//     first (storePack). Its record is created `stored` with its chunk rows, in one transaction;
//   - direct: POST /v1/packs/upload-url records a `granted` upload for the asking device (size,
//     SHA-256, table hash, session, expiry) and returns a presigned PUT for that fresh key; S3
//     enforces the size and SHA-256 (storage/direct.ts). The report (POST /v1/packs/uploaded) is
//     accepted only from that device, before the grant expires, for an object that is there
//     (HEAD), with a table that hashes to the granted one; the record moves to `stored` in the
//     transaction that inserts the chunk rows. A retried report of a stored upload answers the
//     same results again. Any other key is refused, whatever it looks like: a device cannot
//     claim, re-describe or settle an object it was not granted (issue 15: reporting another
//     pack's key with a table of chunks stored elsewhere used to delete that pack). Each chunk's
//     SHA-256 is the client's word until the verify job re-reads it; a liar only damages its own
//     studio's restore points, which are then marked damaged and repaired by the next backup.
//
// A chunk the studio holds already (another device won the race, a retried upload) keeps its row;
// its copy in the new pack is surplus. A chunk whose row is damaged moves to the new pack
// (integrity/repair.ts). No request path deletes an object, not even a pack none of whose chunks
// was needed: surplus objects wait for garbage collection (a later issue), which can tell from
// the upload records and chunk rows what is unreferenced.
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import { faultPoint } from "../../protocol/fault-points.ts";
import { packTableSha256 } from "../../protocol/pack-table.ts";
import type { PackTable, PackUploaded, UploadedResult, UploadGrant } from "../../protocol/schemas.ts";
import { objectKeyForPack } from "../storage/index.ts";
import { chunkRowOf } from "./upload-chunk-rows.ts";
import { chunkChecker } from "./pack-checker.ts";
import { chunkFailure, directTtlSeconds, grantPut, requireDirect, uploadedSize } from "./direct-chunks.ts";
import { switchDamagedChunk } from "./integrity/repair.ts";
import { admitUpload } from "./quota.ts";
import { insertGrant, insertStoredWithChunks, markStoredWithChunks, uploadOf } from "./upload-records.ts";
import { reviveChunks, touchSession } from "./gc/leases.ts";

/** Who uploads: the authenticated device, and the upload session (restore point id) it serves. */
export interface Uploader {
  studioId: string;
  deviceId: string;
  sessionId: string;
}

/** Each chunk's offset in the pack, and the pack's size. */
function layout(table: PackTable): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let size = 0;
  for (const c of table) {
    offsets.push(size);
    size += c.size;
  }
  return { offsets, size };
}

/** Stores a relayed pack (`data`, described by `table`) and records it and its chunks. */
export async function storePack(ctx: Ctx, who: Uploader, table: PackTable, data: Buffer): Promise<UploadedResult[]> {
  const { offsets, size } = layout(table);
  if (size !== data.length) throw errors.validation(`the table describes ${size} bytes, the pack has ${data.length}`);
  const check = chunkChecker(table);
  check.update(data);
  const sha256 = check.end();
  await admitUpload(ctx, who.studioId, size);
  const key = objectKeyForPack(who.studioId);
  await touchSession(ctx, who.studioId, who.sessionId);
  await ctx.blobs.put(key, data);
  faultPoint(ctx.config.faultPoint, "chunk-stored-before-row");
  return recordRelayed(ctx, who, { key, size, sha256 }, table, offsets);
}

/**
 * Whether a relayed pack can be stored as it arrives (storePackStream): the blob store writes a
 * stream (the local store does; S3 packs go direct, by presigned PUT).
 */
export function canStreamPacks(ctx: Ctx): boolean {
  return ctx.blobs.putStream !== undefined;
}

/**
 * Stores a relayed pack whose bytes (`pieces`, described by `table`) are still arriving, checking
 * each chunk's SHA-256 as its last byte passes: the store writes the pack as it comes and keeps
 * it only when every chunk matched and the size is the table's (else the store keeps nothing).
 */
export async function storePackStream(ctx: Ctx, who: Uploader, table: PackTable, pieces: AsyncIterable<Buffer>): Promise<UploadedResult[]> {
  const blobs = ctx.blobs;
  if (!blobs.putStream) throw new Error("storePackStream: the blob store does not write streams (canStreamPacks)");
  const { offsets, size } = layout(table);
  await admitUpload(ctx, who.studioId, size); // before a byte of the body is read
  const key = objectKeyForPack(who.studioId);
  await touchSession(ctx, who.studioId, who.sessionId);
  let sha256: Buffer | undefined;
  async function* checked(): AsyncGenerator<Buffer> {
    const check = chunkChecker(table);
    for await (const piece of pieces) {
      check.update(piece);
      yield piece;
    }
    sha256 = check.end();
  }
  await blobs.putStream(key, checked(), size);
  if (!sha256) throw new Error("storePackStream: the store kept a pack it did not read to the end");
  faultPoint(ctx.config.faultPoint, "chunk-stored-before-row");
  return recordRelayed(ctx, who, { key, size, sha256 }, table, offsets);
}

/**
 * A presigned PUT for a fresh pack key, recorded first as granted to this device for this session,
 * size, SHA-256 and table hash: no URL exists without its record. Admitted by the quota first (quota.ts).
 */
export async function grantPackUpload(
  ctx: Ctx,
  who: Uploader,
  o: { size: number; sha256: Buffer; tableSha256: Buffer },
): Promise<UploadGrant> {
  const quota = await admitUpload(ctx, who.studioId, o.size);
  // Object Lock mode: a presigned PUT would have to sign the lock headers and the pack's
  // Content-MD5, which the grant request does not carry yet, so the API stores (and locks) packs.
  if (!ctx.direct || ctx.config.s3?.objectLockDays) return { mode: "relay", ...(quota ? { quota } : {}) };
  const key = objectKeyForPack(who.studioId);
  const ttlSeconds = directTtlSeconds(ctx);
  // The record expires no later than the URL, whose life starts when it is signed, after this.
  const expiresAt = new Date(ctx.clock.now().getTime() + ttlSeconds * 1000);
  await touchSession(ctx, who.studioId, who.sessionId);
  await insertGrant(ctx, {
    objectKey: key,
    studioId: who.studioId,
    deviceId: who.deviceId,
    sessionId: who.sessionId,
    size: o.size,
    sha256Hex: o.sha256.toString("hex"),
    tableSha256Hex: o.tableSha256.toString("hex"),
    expiresAt,
  });
  return { ...(await grantPut(ctx.direct, key, { size: o.size, sha256: o.sha256, ttlSeconds, expiresAt })), ...(quota ? { quota } : {}) };
}

/** Same answer for a key that does not exist and one granted to someone else: no oracle. */
const notGranted = () => errors.forbidden("that key was not granted to this device");

/**
 * Records the chunks of a pack uploaded under a key granted to this device, once the pack is
 * there (HEAD); a retried report of the same completed upload answers the same results again.
 */
export async function completePackUpload(
  ctx: Ctx,
  who: { studioId: string; deviceId: string },
  report: PackUploaded,
): Promise<UploadedResult[]> {
  requireDirect(ctx);
  const up = await uploadOf(ctx, report.key);
  // "A report is accepted only for a key granted to that device and not yet completed, and its
  // table must hash to the granted table hash" (issue 15).
  if (!up || up.studioId !== who.studioId || up.deviceId !== who.deviceId) throw notGranted();
  if (up.state === "dead") throw errors.conflict("UPLOAD_GONE", "this upload was abandoned: ask for a new grant and upload again");
  if (!packTableSha256(report.chunks).equals(Buffer.from(up.tableSha256Hex, "hex"))) {
    throw errors.integrity("the table does not hash to the table hash granted for this key");
  }
  if (report.sha256 !== up.sha256Hex) throw errors.integrity("the SHA-256 is not the one granted for this key");
  const { offsets, size } = layout(report.chunks);
  if (size !== up.size) throw errors.integrity(`the table describes ${size} bytes, the grant was for ${up.size}`);
  await touchSession(ctx, who.studioId, up.sessionId);
  if (up.state === "granted") {
    if (up.expired) throw grantExpired();
    const stored = await uploadedSize(ctx, report.key);
    if (stored !== size) throw errors.integrity(`the table describes ${size} bytes, the stored pack has ${stored}`);
    const inserted = await markStoredWithChunks(
      ctx,
      { objectKey: report.key, deviceId: who.deviceId, studioId: who.studioId },
      rowsOf(report.key, report.chunks, offsets),
    );
    // Nothing inserted: the record moved and every chunk was held already (settled below), or a
    // concurrent report of the same upload moved it first (its rows name this key), or it did not
    // move: the grant expired meanwhile.
    if (inserted.size === 0 && (await uploadOf(ctx, report.key))?.state !== "stored") throw grantExpired();
    return settleAll(ctx, who.studioId, report.key, report.chunks, offsets, inserted);
  }
  // A retried report of a stored upload: its chunk rows are in (they name this key).
  return settleAll(ctx, who.studioId, report.key, report.chunks, offsets, new Set());
}

const grantExpired = () => errors.conflict("GRANT_EXPIRED", "the grant for this key has expired: ask for a new one and upload again");

function rowsOf(key: string, table: PackTable, offsets: number[]) {
  return table.map((c, i) => ({ idHex: c.id, size: c.size, sha256Hex: c.sha256, objectKey: key, offset: offsets[i]! }));
}

/** Records a relayed pack, already stored, and its chunk rows in one statement. */
async function recordRelayed(
  ctx: Ctx,
  who: Uploader,
  obj: { key: string; size: number; sha256: Buffer },
  table: PackTable,
  offsets: number[],
): Promise<UploadedResult[]> {
  const inserted = await insertStoredWithChunks(
    ctx,
    {
      objectKey: obj.key,
      studioId: who.studioId,
      deviceId: who.deviceId,
      sessionId: who.sessionId,
      size: obj.size,
      sha256Hex: obj.sha256.toString("hex"),
      tableSha256Hex: packTableSha256(table).toString("hex"),
      expiresAt: null,
    },
    rowsOf(obj.key, table, offsets),
  );
  return settleAll(ctx, who.studioId, obj.key, table, offsets, inserted);
}

/**
 * The result of each chunk of a recorded pack: stored if its row was just `inserted` or names
 * this pack, else settled against the row the studio holds. Surplus packs are kept (see above).
 * The chunks held already are answered present: revived for the collector (docs/garbage-collection.md).
 */
async function settleAll(
  ctx: Ctx,
  studioId: string,
  key: string,
  table: PackTable,
  offsets: number[],
  inserted: Set<string>,
): Promise<UploadedResult[]> {
  const held = table.filter((c) => !inserted.has(c.id)).map((c) => c.id);
  await reviveChunks(ctx, studioId, held);
  return Promise.all(
    table.map(async (c, i): Promise<UploadedResult> => {
      if (inserted.has(c.id)) return { id: c.id, stored: true, size: c.size };
      try {
        return { id: c.id, ...(await settle(ctx, studioId, key, c, offsets[i]!)) };
      } catch (err) {
        return chunkFailure(ctx, c.id, err);
      }
    }),
  );
}

/** A chunk of the pack whose row exists already. */
async function settle(
  ctx: Ctx,
  studioId: string,
  key: string,
  c: PackTable[number],
  offset: number,
): Promise<{ stored: boolean; size: number }> {
  const row = await chunkRowOf(ctx, studioId, c.id);
  // A retried report of this very pack (or a chunk listed twice in it): already done.
  if (row?.objectKey === key) return { stored: true, size: row.size };
  if (row?.state === "damaged") {
    return switchDamagedChunk(ctx, {
      studioId,
      id: Buffer.from(c.id, "hex"),
      objectKey: key,
      offset,
      size: c.size,
      sha256: Buffer.from(c.sha256, "hex"),
      oldObjectKey: row.objectKey,
    });
  }
  return { stored: false, size: row?.size ?? c.size };
}
