// Chunk download through the API (GET /v1/chunks/:id); the dedup query is absent-ids.ts and chunk
// bytes go up in packs (packs.ts). A chunk row exists only once its object is durably stored, so
// "present" in the dedup answer always means "restorable": nothing committed is ever missing.
import { Readable } from "node:stream";
import type { Ctx } from "../context.ts";
import { bytes } from "../db.ts";
import { errors } from "../errors.ts";
import { BlobNotFoundError } from "../storage/index.ts";

type Row = { objectKey: string; offset: number | null; size: number };

export async function openChunk(ctx: Ctx, studioId: string, id: Buffer): Promise<{ size: number; stream: Readable }> {
  const find = () => ctx.db.chunk.findUnique({ where: { studioId_id: { studioId, id: bytes(id) } } });
  const row = await find();
  if (!row) throw errors.notFound("chunk");
  try {
    return await readAt(ctx, row);
  } catch (err) {
    // The collector's repack (gc/repack.ts) may have moved the chunk to a new pack and deleted the
    // old one between the row read and this one: read the row again, once.
    if (!(err instanceof BlobNotFoundError)) throw err;
    const now = await find();
    if (!now || (now.objectKey === row.objectKey && now.offset === row.offset)) throw err;
    return readAt(ctx, now);
  }
}

async function readAt(ctx: Ctx, row: Row): Promise<{ size: number; stream: Readable }> {
  // A row without an offset is a single-chunk object, written by the upload path issue 15 removed.
  // It stays readable (here, in the integrity checks, in presigned downloads) because databases
  // written before packs hold such rows and nothing rewrites them into packs; no client needs it.
  if (row.offset === null) return { size: row.size, stream: await ctx.blobs.get(row.objectKey) };
  const data = await ctx.blobs.readRange(row.objectKey, row.offset, row.size);
  if (data.length !== row.size) throw errors.blobMissing("the stored data of this chunk is cut short on the server");
  return { size: row.size, stream: Readable.from([data]) };
}
