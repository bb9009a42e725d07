// Chunk bytes straight between the uploader and the blob store (storage/direct.ts): presigned
// GET URLs for restores, and the pieces of direct pack uploads (packs.ts) that talk to the store:
// the presigned PUT of a granted key and the HEAD that confirms a reported upload.
//
// URLs live DIRECT_URL_TTL_SECONDS (600 by default): a revoked device's URLs die within minutes.
// Uploads are packs only (packs.ts); single-chunk uploads were removed with issue 15.
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import type { DownloadUrls, UploadedResult, UploadGrant } from "../../protocol/schemas.ts";
import type { DirectTransfer } from "../storage/index.ts";
import { toAppError } from "../to-app-error.ts";

/** How long a presigned URL (and the grant behind a PUT) lives. */
export function directTtlSeconds(ctx: Ctx): number {
  return ctx.config.s3?.direct?.ttlSeconds ?? 600;
}

/** A presigned PUT of exactly `size` bytes with this SHA-256 to the fresh `key`, valid `ttlSeconds`. */
export async function grantPut(
  direct: DirectTransfer,
  key: string,
  o: { size: number; sha256: Buffer; ttlSeconds: number; expiresAt: Date },
): Promise<UploadGrant> {
  const put = await direct.presignPut(key, { size: o.size, sha256: o.sha256, ttlSeconds: o.ttlSeconds });
  return { mode: "direct", key, ...put, expiresAt: o.expiresAt.toISOString() };
}

/** Why one chunk of a report was not recorded, in the error vocabulary (5xx are logged). */
export function chunkFailure(ctx: Ctx, chunkId: string, err: unknown): UploadedResult {
  const e = toAppError(err);
  if (e.status >= 500) ctx.log.error({ err, chunkId }, "could not record an uploaded chunk");
  return { id: chunkId, status: e.status, error: { code: e.code, message: e.message } };
}

/** The size of the object a client reports it uploaded under a granted `key` (HEAD); 409 if absent. */
export async function uploadedSize(ctx: Ctx, key: string): Promise<number> {
  const stored = await requireDirect(ctx).head(key);
  if (!stored) throw errors.conflict("UPLOAD_NOT_FOUND", "nothing is stored under that key: upload the pack first");
  return stored.size;
}

/** Presigned GET URLs (hex id -> URL, and where in a pack) for the chunks of those given that the studio holds. */
export async function downloadUrls(ctx: Ctx, studioId: string, ids: string[]): Promise<DownloadUrls> {
  const ttlSeconds = directTtlSeconds(ctx);
  if (!ctx.direct) return { direct: false, ttlSeconds, urls: {} };
  // Hex in and out: Prisma 6.19's JS engine cannot pass bytea arrays nor read raw bytea columns.
  const rows = await ctx.db.$queryRaw<Array<{ id: string; objectKey: string; offset: number | null; size: number }>>`
    SELECT w.hex AS id, c."objectKey", c."offset", c.size FROM unnest(${ids}::text[]) AS w(hex)
    JOIN "Chunk" c ON c."studioId" = ${studioId}::uuid AND c.id = decode(w.hex, 'hex')`;
  const urls: Record<string, string> = {};
  const ranges: Record<string, { offset: number; size: number }> = {};
  const byKey = new Map<string, string>(); // chunks of one pack share its URL
  for (const r of rows) {
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
