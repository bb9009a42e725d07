// Repair: a chunk the server found damaged (or a signed client verify reported) is reported
// missing by the dedup query, so the next backup that still has its data uploads it again. The
// new upload goes to a fresh object key (objects are never overwritten) and the row switches to
// it in one transaction, only if it is still the damaged object we meant to replace (a racing
// repair wins once). A device cannot get a good chunk replaced: only `damaged` rows are
// replaceable, and only the server or a studio-key-signed report sets that state.
// The old object stays until garbage collection removes unreferenced objects.
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import { metrics } from "../../metrics.ts";
import { objectKeyForChunk } from "../../storage/index.ts";
import { translateStorageError } from "../storage-errors.ts";
import { containsRef } from "./refs.ts";
import { enqueueDue, markDue } from "./request.ts";
import { forEachRestorePoint } from "./restore-point-scan.ts";

export interface Replacement {
  studioId: string;
  id: Buffer;
  data: Buffer;
  sha256: Buffer;
  /** The damaged object the caller saw on the row. */
  oldObjectKey: string;
}

export async function replaceDamagedChunk(ctx: Ctx, r: Replacement): Promise<{ stored: boolean; size: number }> {
  const objectKey = objectKeyForChunk(r.studioId, r.id.toString("hex"));
  try {
    await ctx.blobs.put(objectKey, r.data);
  } catch (err) {
    throw translateStorageError(err);
  }
  return switchDamagedChunk(ctx, { studioId: r.studioId, id: r.id, objectKey, offset: null, size: r.data.length, sha256: r.sha256, oldObjectKey: r.oldObjectKey });
}

export interface Switch {
  studioId: string;
  id: Buffer;
  /** The new object, already stored (and, on S3 direct uploads, checked against `sha256` by S3). */
  objectKey: string;
  /** Where the chunk starts in `objectKey` when that is a pack (which a lost race leaves alone). */
  offset: number | null;
  size: number;
  sha256: Buffer;
  oldObjectKey: string;
}

/** Points a damaged chunk's row at a new, stored object (the second half of a repair). */
export async function switchDamagedChunk(ctx: Ctx, r: Switch): Promise<{ stored: boolean; size: number }> {
  const { objectKey } = r;
  // One statement, hence one transaction: the row moves to the new object only if it still
  // names the damaged object we meant to replace.
  const switched = await ctx.db.chunk.updateMany({
    where: { studioId: r.studioId, id: bytes(r.id), objectKey: r.oldObjectKey, state: "damaged" },
    data: {
      objectKey, offset: r.offset, size: r.size, sha256: bytes(r.sha256),
      state: "unverified", problem: null, damagedAt: null, verifiedAt: null, checkedAt: null,
    },
  });
  if (switched.count !== 1) {
    // A pack holds other chunks too: its surplus bytes stay (like a lost race's, packs.ts).
    if (r.offset !== null) return { stored: false, size: r.size };
    await ctx.blobs.delete(objectKey).catch((err: unknown) => ctx.log.warn({ err, objectKey }, "could not delete the object of a lost repair race"));
    return { stored: false, size: r.size };
  }
  // Re-verify the points this chunk made damaged, and those whose verification is in flight (it
  // may have read the old object; its successor reads the new one). Should this process die
  // here, the scrub's reconcile step (scrub.ts) finds damaged points listing a repaired chunk.
  const ids: string[] = [];
  await forEachRestorePoint(ctx, { studioId: r.studioId, OR: [{ health: "damaged" }, { verifyDueAt: { not: null } }] }, async (rp) => {
    if (containsRef(rp.refs, r.id)) ids.push(rp.id);
  });
  const due = await markDue(ctx.db, r.studioId, ids);
  metrics.chunksRepaired.inc();
  ctx.log.info({ studioId: r.studioId, chunkId: r.id.toString("hex"), objectKey, reverify: due.length }, "damaged chunk replaced");
  await enqueueDue(ctx, due);
  return { stored: true, size: r.size };
}
