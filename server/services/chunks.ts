// Chunk ingest (relayed through the API) and download; the dedup query is absent-ids.ts. A chunk
// row exists only once its object is durably stored, so "present" in the dedup answer always
// means "restorable" (DESIGN.md principle 4).
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Ctx } from "../context.ts";
import { bytes } from "../db.ts";
import { AppError, errors } from "../errors.ts";
import { faultPoint } from "../faults.ts";
import { MAX_CHUNK_OBJECT_BYTES } from "../http/schemas.ts";
import { objectKeyForChunk } from "../storage/index.ts";
import { chunkRowOf, insertChunkRow } from "./chunk-row.ts";
import { replaceDamagedChunk } from "./integrity/repair.ts";
import { translateStorageError } from "./storage-errors.ts";

export interface StoreChunkInput {
  studioId: string;
  id: Buffer;
  data: Buffer;
  /** SHA-256 of the body as the client computed it; a mismatch means damage in transit. */
  sha256: Buffer | null;
}

/**
 * Stores a chunk object unless the studio already holds that id (a damaged one is replaced:
 * integrity/repair.ts). The first complete upload wins: the row is inserted after the object is
 * durable, and a loser's object (under its own, never-reused key) is deleted again. Stored
 * objects are never overwritten.
 */
export async function storeChunk(ctx: Ctx, input: StoreChunkInput): Promise<{ stored: boolean; size: number }> {
  const { studioId, id, data } = input;
  if (data.length === 0) throw errors.validation("empty chunk");
  if (data.length > MAX_CHUNK_OBJECT_BYTES) throw errors.tooLarge(`chunk exceeds ${MAX_CHUNK_OBJECT_BYTES} bytes`);
  const sha256 = createHash("sha256").update(data).digest();
  if (input.sha256 && !sha256.equals(input.sha256)) {
    throw errors.integrity("chunk body does not match its SHA-256; resend it");
  }
  // The common case is a new chunk (clients upload what the dedup query reported missing), so the
  // object goes first and one INSERT ... ON CONFLICT DO NOTHING both claims the id and tells
  // whether the studio held it already: one database round trip per new chunk instead of two (a
  // lookup first, then Prisma's createMany). A duplicate upload costs a put and a delete.
  const idHex = id.toString("hex");
  const objectKey = objectKeyForChunk(studioId, idHex);
  try {
    await ctx.blobs.put(objectKey, data);
  } catch (err) {
    throw translateStorageError(err);
  }
  faultPoint(ctx.config, "chunk-stored-before-row");
  if (await insertChunkRow(ctx, { studioId, idHex, size: data.length, sha256Hex: sha256.toString("hex"), objectKey })) {
    return { stored: true, size: data.length };
  }

  // The studio holds the id already (or a racing upload just won): our object is not needed.
  await ctx.blobs.delete(objectKey).catch((err: unknown) => {
    ctx.log.warn({ err, objectKey }, "could not delete the object of a duplicate upload");
  });
  const existing = await chunkRowOf(ctx, studioId, idHex);
  if (existing?.state === "damaged") return replaceDamagedChunk(ctx, { studioId, id, data, sha256, oldObjectKey: existing.objectKey });
  return { stored: false, size: existing?.size ?? data.length };
}

export async function openChunk(ctx: Ctx, studioId: string, id: Buffer): Promise<{ size: number; stream: Readable }> {
  const row = await ctx.db.chunk.findUnique({ where: { studioId_id: { studioId, id: bytes(id) } } });
  if (!row) throw errors.notFound("chunk");
  try {
    if (row.offset === null) return { size: row.size, stream: await ctx.blobs.get(row.objectKey) };
    const data = await ctx.blobs.readRange(row.objectKey, row.offset, row.size);
    if (data.length !== row.size) throw new AppError("BLOB_MISSING", 410, "the stored data of this chunk is cut short on the server");
    return { size: row.size, stream: Readable.from([data]) };
  } catch (err) {
    throw translateStorageError(err);
  }
}
