// Chunks and restore points made in process (test/support/in-process.ts) through the services
// the upload and commit routes call: stored chunk rows, reference pages, a commit.
import { randomBytes } from "node:crypto";
import type { Ctx } from "../../server/context.ts";
import { commitBody, type CommitBody } from "../../protocol/schemas.ts";
import { commitRestorePoint } from "../../server/services/commit-restore-point.ts";
import { putRefPage, type Writer } from "../../server/services/ref-pages.ts";
import { insertChunkRows } from "../../server/services/upload-chunk-rows.ts";
import { objectKeyForPack } from "../../server/storage/index.ts";

/** `n` random chunk ids, hex, sorted as a restore point lists them. */
export function chunkIds(n: number): string[] {
  return Array.from({ length: n }, () => randomBytes(32).toString("hex")).sort();
}

/** Chunk rows for `ids` in the writer's studio, as if one pack held them (no object is written). */
export async function storeChunkRows(ctx: Ctx, who: Writer, ids: readonly string[]): Promise<void> {
  const key = objectKeyForPack(who.studioId);
  await insertChunkRows(
    ctx,
    who.studioId,
    ids.map((idHex, i) => ({ idHex, size: 100, sha256Hex: randomBytes(32).toString("hex"), objectKey: key, offset: i * 100 })),
  );
}

/** Sends `ids` (sorted) as reference pages of `perPage` ids each; the number of pages sent. */
export async function sendRefPages(
  ctx: Ctx,
  who: Writer,
  restorePointId: string,
  ids: readonly string[],
  perPage = ids.length,
): Promise<number> {
  let pages = 0;
  for (let i = 0; i < ids.length; i += perPage) {
    await putRefPage(ctx, who, restorePointId, pages++, Buffer.concat(ids.slice(i, i + perPage).map((id) => Buffer.from(id, "hex"))));
  }
  return pages;
}

/** A commit body for references `ids` in `pages` pages, the first id as the manifest root. */
export function commitOf(ids: readonly string[], pages: number, o: Partial<CommitBody> = {}): CommitBody {
  return commitBody.parse({ label: null, files: 1, bytes: 100, rootChunkId: ids[0], refPages: pages, refCount: ids.length, ...o });
}

/** Stores `n` chunks and commits a restore point referencing them all; its references. */
export async function committedRestorePoint(
  ctx: Ctx,
  who: Writer,
  restorePointId: string,
  o: { n?: number; label?: string } = {},
): Promise<string[]> {
  const ids = chunkIds(o.n ?? 3);
  await storeChunkRows(ctx, who, ids);
  const pages = await sendRefPages(ctx, who, restorePointId, ids);
  await commitRestorePoint(ctx, who, restorePointId, commitOf(ids, pages, { label: o.label ?? null }));
  return ids;
}
