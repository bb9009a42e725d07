// Packs: several sealed chunks stored as one object, so a backup costs one PUT (and the API one
// HEAD and one INSERT) per pack of up to MAX_PACK_BYTES instead of per ~1 MiB chunk, and a restore
// one ranged GET per run of neighbouring chunks (restic's pack files, Kopia's pack blobs). Each
// chunk keeps its own row, (studioId, id) -> objectKey + offset + size + sha256, so the dedup
// query, integrity checks, repair and restore stay per chunk; a pack is written once and never
// modified or overwritten, like any object.
//
// An upload describes its pack with a table (schemas.ts, packTable): the chunks in order, each
// {id, size, sha256}; chunk i starts where chunk i-1 ends and the sizes add up to the pack's size.
//   - relayed (PUT /v1/packs): the API hashes every chunk's bytes against the table, and a pack
//     with a chunk that does not match is not stored, as for a relayed chunk. Where the blob store
//     writes streams (the local directory), the pack goes to disk as it arrives, hashed on the way
//     (storePackStream), so a pack in flight costs a few MiB of memory, not its size; otherwise
//     it is read whole first (storePack);
//   - direct (a presigned PUT of the whole pack, then a report): S3 enforces the pack's size and
//     SHA-256 (storage/direct.ts); each chunk's SHA-256 is the client's word until the verify job
//     re-reads it, the trust model of direct chunk uploads (direct-chunks.ts).
//
// A chunk the studio holds already (another device won the race, a retried upload) keeps its row;
// its copy in the new pack is surplus and stays (the pack holds others) until garbage collection
// repacks. A chunk whose row is damaged moves to the new pack (integrity/repair.ts). A pack none
// of whose chunks was recorded is deleted again.
import { createHash } from "node:crypto";
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import { faultPoint } from "../faults.ts";
import type { PackTable, PackUploaded, UploadedResult, UploadGrant } from "../http/schemas.ts";
import { isObjectKeyForPack, objectKeyForPack } from "../storage/index.ts";
import { chunkRowOf, insertChunkRows } from "./chunk-row.ts";
import { chunkFailure, grantPut, requireDirect, uploadedSize } from "./direct-chunks.ts";
import { switchDamagedChunk } from "./integrity/repair.ts";
import { translateStorageError } from "./storage-errors.ts";

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

/** Stores a relayed pack (`data`, described by `table`) and records its chunks. */
export async function storePack(ctx: Ctx, studioId: string, table: PackTable, data: Buffer): Promise<UploadedResult[]> {
  const { offsets, size } = layout(table);
  if (size !== data.length) throw errors.validation(`the table describes ${size} bytes, the pack has ${data.length}`);
  const check = chunkChecker(table);
  check.update(data);
  check.end();
  const key = objectKeyForPack(studioId);
  try {
    await ctx.blobs.put(key, data);
  } catch (err) {
    throw translateStorageError(err);
  }
  faultPoint(ctx.config, "chunk-stored-before-row");
  return record(ctx, studioId, key, table, offsets);
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
export async function storePackStream(ctx: Ctx, studioId: string, table: PackTable, pieces: AsyncIterable<Buffer>): Promise<UploadedResult[]> {
  const blobs = ctx.blobs;
  if (!blobs.putStream) throw new Error("storePackStream: the blob store does not write streams (canStreamPacks)");
  const { offsets, size } = layout(table);
  const key = objectKeyForPack(studioId);
  async function* checked(): AsyncGenerator<Buffer> {
    const check = chunkChecker(table);
    for await (const piece of pieces) {
      check.update(piece);
      yield piece;
    }
    check.end();
  }
  try {
    await blobs.putStream(key, checked(), size);
  } catch (err) {
    throw translateStorageError(err);
  }
  faultPoint(ctx.config, "chunk-stored-before-row");
  return record(ctx, studioId, key, table, offsets);
}

/**
 * Hashes a pack's bytes, fed in pieces of any size, chunk by chunk as `table` cuts them, and
 * throws as soon as a chunk does not match its SHA-256 or the bytes run past the table; `end()`
 * throws when they stop short of it.
 */
function chunkChecker(table: PackTable): { update(piece: Buffer): void; end(): void } {
  let i = 0;
  let left = table[0]!.size;
  let hash = createHash("sha256");
  return {
    update(piece) {
      for (let at = 0; at < piece.length; ) {
        const c = table[i];
        if (!c) throw errors.validation("the pack has more bytes than its table describes");
        const n = Math.min(left, piece.length - at);
        hash.update(piece.subarray(at, at + n));
        at += n;
        left -= n;
        if (left > 0) continue;
        if (hash.digest("hex") !== c.sha256) throw errors.integrity(`chunk ${c.id} does not match its SHA-256; resend the pack`);
        i++;
        left = table[i]?.size ?? 0;
        hash = createHash("sha256");
      }
    },
    end() {
      if (i < table.length) throw errors.validation("the pack has fewer bytes than its table describes");
    },
  };
}

/** A presigned PUT for a fresh pack key (no database work, as for a chunk: direct-chunks.ts). */
export async function grantPackUpload(ctx: Ctx, studioId: string, o: { size: number; sha256: Buffer }): Promise<UploadGrant> {
  if (!ctx.direct) return { mode: "relay" };
  return grantPut(ctx, ctx.direct, objectKeyForPack(studioId), o);
}

/** Records the chunks of a pack uploaded under a granted key, once the pack is there (HEAD). */
export async function completePackUpload(ctx: Ctx, studioId: string, report: PackUploaded): Promise<UploadedResult[]> {
  requireDirect(ctx);
  if (!isObjectKeyForPack(report.key, studioId)) throw errors.validation("key was not granted for a pack of this studio");
  const { offsets, size } = layout(report.chunks);
  const stored = await uploadedSize(ctx, report.key, "pack");
  if (stored !== size) throw errors.integrity(`the table describes ${size} bytes, the stored pack has ${stored}`);
  return record(ctx, studioId, report.key, report.chunks, offsets);
}

/** Inserts the pack's chunk rows (one statement) and settles the chunks the studio held already. */
async function record(ctx: Ctx, studioId: string, key: string, table: PackTable, offsets: number[]): Promise<UploadedResult[]> {
  const inserted = await insertChunkRows(ctx, studioId, table.map((c, i) => ({ idHex: c.id, size: c.size, sha256Hex: c.sha256, objectKey: key, offset: offsets[i]! })));
  const results = await Promise.all(table.map(async (c, i): Promise<UploadedResult> => {
    if (inserted.has(c.id)) return { id: c.id, stored: true, size: c.size };
    try {
      return { id: c.id, ...(await settle(ctx, studioId, key, c, offsets[i]!)) };
    } catch (err) {
      return chunkFailure(ctx, c.id, err);
    }
  }));
  if (results.every((r) => "stored" in r && !r.stored)) {
    await ctx.blobs.delete(key).catch((err: unknown) => ctx.log.warn({ err, objectKey: key }, "could not delete a pack none of whose chunks was needed"));
  }
  return results;
}

/** A chunk of the pack whose row exists already. */
async function settle(ctx: Ctx, studioId: string, key: string, c: PackTable[number], offset: number): Promise<{ stored: boolean; size: number }> {
  const row = await chunkRowOf(ctx, studioId, c.id);
  // A retried report of this very pack: already done.
  if (row?.objectKey === key) return { stored: true, size: row.size };
  if (row?.state === "damaged") {
    return switchDamagedChunk(ctx, { studioId, id: Buffer.from(c.id, "hex"), objectKey: key, offset, size: c.size, sha256: Buffer.from(c.sha256, "hex"), oldObjectKey: row.objectKey });
  }
  return { stored: false, size: row?.size ?? c.size };
}
