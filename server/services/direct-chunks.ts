// Chunk bytes straight between the uploader and the blob store (storage/direct.ts): the API
// grants a presigned PUT for one fresh key, the client uploads, then reports the upload, and the
// row is inserted only once the object is there (HEAD), so "present" still means "restorable".
//
// What the server checks, and what it leaves to the verify job:
//   - S3 enforces the granted size and SHA-256 and refuses to overwrite (signed headers), so the
//     stored object is exactly the bytes the client declared, never more than a chunk;
//   - the key must be one the server would choose for this studio and chunk, and exist;
//   - the SHA-256 the row records is the one the report states, which is the client's word (it
//     could differ from the one it was granted) until the verify job (run after every commit)
//     re-reads every unverified chunk and compares; a liar only damages its own studio's restore
//     point, which is then marked damaged and repaired by the next backup, as with any bad object.
// Relayed uploads (services/chunks.ts) remain for the local directory store, with
// DIRECT_TRANSFER=false, and for clients that cannot reach the bucket.
import type { Ctx } from "../context.ts";
import { AppError, errors } from "../errors.ts";
import { MAX_CHUNK_OBJECT_BYTES, type DownloadUrls, type UploadedReport, type UploadedResult, type UploadGrant } from "../http/schemas.ts";
import { isObjectKeyForChunk, objectKeyForChunk, type DirectTransfer } from "../storage/index.ts";
import { chunkRowOf, insertChunkRows } from "./chunk-row.ts";
import { switchDamagedChunk } from "./integrity/repair.ts";
import { translateStorageError } from "./storage-errors.ts";

/**
 * A presigned PUT for a fresh key. No database read: the client asks for chunks the dedup query
 * just reported missing, and the report settles races (a chunk stored meanwhile by another device
 * makes this upload surplus; a damaged one is replaced, integrity/repair.ts).
 */
export async function grantUpload(ctx: Ctx, studioId: string, id: Buffer, o: { size: number; sha256: Buffer }): Promise<UploadGrant> {
  if (!ctx.direct) return { mode: "relay" };
  return grantPut(ctx, ctx.direct, objectKeyForChunk(studioId, id.toString("hex")), o);
}

/** A presigned PUT of exactly `size` bytes with this SHA-256 to the fresh `key` (chunks, packs.ts). */
export async function grantPut(ctx: Ctx, direct: DirectTransfer, key: string, o: { size: number; sha256: Buffer }): Promise<UploadGrant> {
  const ttlSeconds = ctx.config.s3?.direct?.ttlSeconds ?? 3600;
  const put = await direct.presignPut(key, { size: o.size, sha256: o.sha256, ttlSeconds });
  return { mode: "direct", key, ...put, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
}

/** Why one chunk of a report was not recorded, in the error vocabulary (5xx are logged). */
export function chunkFailure(ctx: Ctx, chunkId: string, err: unknown): UploadedResult {
  const translated = translateStorageError(err);
  const e = translated instanceof AppError ? translated : errors.internal();
  if (e.status >= 500) ctx.log.error({ err, chunkId }, "could not record an uploaded chunk");
  return { id: chunkId, status: e.status, error: { code: e.code, message: e.message } };
}

/**
 * Records reported uploads, each on its own (a refused one does not fail the others): the results
 * say per chunk whether it was recorded, or why not, with the error vocabulary's code and status.
 * Objects are checked in parallel (HEAD), then the new rows go in with one INSERT; only chunks the
 * studio holds already (a race, a retried report, a repair) take a further query each.
 */
export async function completeUploads(ctx: Ctx, studioId: string, reports: UploadedReport[]): Promise<UploadedResult[]> {
  const failed = (r: UploadedReport, err: unknown) => chunkFailure(ctx, r.id, err);
  type Checked = { r: UploadedReport; size: number } | { r: UploadedReport; result: UploadedResult };
  const checked = await Promise.all(reports.map(async (r): Promise<Checked> => {
    try {
      return { r, size: await storedSize(ctx, studioId, r) };
    } catch (err) {
      return { r, result: failed(r, err) };
    }
  }));
  const ok = checked.filter((c): c is { r: UploadedReport; size: number } => "size" in c);
  let inserted: Set<string>;
  try {
    inserted = await insertChunkRows(ctx, studioId, ok.map(({ r, size }) => ({ idHex: r.id, size, sha256Hex: r.sha256, objectKey: r.key })));
  } catch (err) {
    return checked.map((c) => ("result" in c ? c.result : failed(c.r, err)));
  }
  return Promise.all(checked.map(async (c): Promise<UploadedResult> => {
    if ("result" in c) return c.result;
    if (inserted.has(c.r.id)) return { id: c.r.id, stored: true, size: c.size };
    try {
      return { id: c.r.id, ...(await settleConflict(ctx, studioId, c.r, c.size)) };
    } catch (err) {
      return failed(c.r, err);
    }
  }));
}

/** The size of the object a report names, once it is known to be this chunk's and stored. */
async function storedSize(ctx: Ctx, studioId: string, r: UploadedReport): Promise<number> {
  requireDirect(ctx);
  if (!isObjectKeyForChunk(r.key, studioId, r.id)) throw errors.validation("key was not granted for this chunk");
  const size = await uploadedSize(ctx, r.key, "chunk");
  if (size === 0 || size > MAX_CHUNK_OBJECT_BYTES) throw errors.integrity(`stored object has ${size} bytes`);
  return size;
}

/** The size of the object a client reports it uploaded under a granted `key` (HEAD); 409 if absent. */
export async function uploadedSize(ctx: Ctx, key: string, what: "chunk" | "pack"): Promise<number> {
  let stored;
  try {
    stored = await requireDirect(ctx).head(key);
  } catch (err) {
    throw translateStorageError(err);
  }
  if (!stored) throw errors.conflict("UPLOAD_NOT_FOUND", `nothing is stored under that key: upload the ${what} first`);
  return stored.size;
}

/** A reported chunk whose row exists already. */
async function settleConflict(ctx: Ctx, studioId: string, r: UploadedReport, size: number): Promise<{ stored: boolean; size: number }> {
  const row = await chunkRowOf(ctx, studioId, r.id);
  // A retried report of our own upload: already done.
  if (row?.objectKey === r.key) return { stored: true, size: row.size };
  const id = Buffer.from(r.id, "hex");
  if (row?.state === "damaged") {
    return switchDamagedChunk(ctx, { studioId, id, objectKey: r.key, offset: null, size, sha256: Buffer.from(r.sha256, "hex"), oldObjectKey: row.objectKey });
  }
  // Another upload of the same chunk won the race (first complete upload wins); ours is surplus.
  await ctx.blobs.delete(r.key).catch((err: unknown) => ctx.log.warn({ err, objectKey: r.key }, "could not delete the object of a lost upload race"));
  return { stored: false, size: row?.size ?? size };
}

/** Presigned GET URLs (hex id -> URL, and where in a pack) for the chunks of those given that the studio holds. */
export async function downloadUrls(ctx: Ctx, studioId: string, ids: string[], o: { ranges: boolean }): Promise<DownloadUrls> {
  const ttlSeconds = ctx.config.s3?.direct?.ttlSeconds ?? 3600;
  if (!ctx.direct) return { direct: false, ttlSeconds, urls: {} };
  // Hex in and out: Prisma 6.19's JS engine cannot pass bytea arrays nor read raw bytea columns.
  const rows = await ctx.db.$queryRaw<Array<{ id: string; objectKey: string; offset: number | null; size: number }>>`
    SELECT w.hex AS id, c."objectKey", c."offset", c.size FROM unnest(${ids}::text[]) AS w(hex)
    JOIN "Chunk" c ON c."studioId" = ${studioId}::uuid AND c.id = decode(w.hex, 'hex')`;
  const urls: Record<string, string> = {};
  const ranges: Record<string, { offset: number; size: number }> = {};
  const byKey = new Map<string, string>(); // chunks of one pack share its URL
  for (const r of rows) {
    if (r.offset !== null && !o.ranges) continue; // a client from before packs: through the API
    let url = byKey.get(r.objectKey);
    if (!url) byKey.set(r.objectKey, (url = await ctx.direct.presignGet(r.objectKey, ttlSeconds)));
    urls[r.id] = url;
    if (r.offset !== null) ranges[r.id] = { offset: Number(r.offset), size: Number(r.size) };
  }
  return { direct: true, ttlSeconds, urls, ranges };
}

export function requireDirect(ctx: Ctx): DirectTransfer {
  if (!ctx.direct) throw errors.conflict("DIRECT_TRANSFER_DISABLED", "this server takes chunk bytes through the API only");
  return ctx.direct;
}
