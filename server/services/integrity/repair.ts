// Repair: a chunk the server found damaged (or a signed client verify reported) is reported
// missing by the dedup query, so the next backup that still has its data uploads it again. The
// new upload goes to a fresh object key (objects are never overwritten) and the row switches to
// it in one transaction, only if it is still the damaged object we meant to replace (a racing
// repair wins once). A device cannot get a good chunk replaced: only `damaged` rows are
// replaceable, and only the server or a studio-key-signed report sets that state.
// But any device can upload fresh ciphertext for a damaged chunk, and the server (it holds no key)
// cannot tell junk from a real repair: a stolen device could "repair" a point with garbage that
// then passes the server's re-read. So every point the replaced chunk made damaged is marked
// "repaired, not yet verified by a studio PC" (RestorePoint.repairUnconfirmedAt), which only a
// signed, complete and OK `datasafe verify` clears (client-report.ts), never the server's re-read.
// Neither object is deleted here: the old one and a lost race's new one (in a pack with other
// chunks, or alone) stay until garbage collection removes unreferenced objects.
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import { metrics } from "../../metrics.ts";
import { containsRef } from "./refs.ts";
import { enqueueDue, markDue } from "./request.ts";
import { forEachRestorePoint } from "./restore-point-scan.ts";

export interface Switch {
  studioId: string;
  id: Buffer;
  /** The new object (a pack), already stored (and, on S3 direct uploads, checked by S3 as a whole). */
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
  // The points this chunk made damaged, and those whose verification is in flight (it may have
  // read the old object; its successor reads the new one). They are flagged before the row
  // switches, so no crash can leave a repaired point unflagged; a lost race flags them too,
  // which errs on the safe side (a real repair won it).
  const ids: string[] = [];
  await forEachRestorePoint(ctx, { studioId: r.studioId, OR: [{ health: "damaged" }, { verifyDueAt: { not: null } }] }, async (rp) => {
    if (containsRef(rp.refs, r.id)) ids.push(rp.id);
  });
  if (ids.length) {
    await ctx.db.restorePoint.updateMany({ where: { studioId: r.studioId, id: { in: ids } }, data: { repairUnconfirmedAt: new Date() } });
  }
  // One statement, hence one transaction: the row moves to the new object only if it still
  // names the damaged object we meant to replace.
  const switched = await ctx.db.chunk.updateMany({
    where: { studioId: r.studioId, id: bytes(r.id), objectKey: r.oldObjectKey, state: "damaged" },
    data: {
      objectKey,
      offset: r.offset,
      size: r.size,
      sha256: bytes(r.sha256),
      state: "unverified",
      problem: null,
      damagedAt: null,
      verifiedAt: null,
      checkedAt: null,
    },
  });
  // A lost race: the new object's bytes stay, surplus, until garbage collection.
  if (switched.count !== 1) return { stored: false, size: r.size };
  // Should this process die here, the scrub's reconcile step (scrub.ts) finds damaged points
  // listing a repaired chunk and verifies them again.
  const due = await markDue(ctx.db, r.studioId, ids);
  metrics.chunksRepaired.inc();
  ctx.log.info({ studioId: r.studioId, chunkId: r.id.toString("hex"), objectKey, reverify: due.length }, "damaged chunk replaced");
  await enqueueDue(ctx, due);
  return { stored: true, size: r.size };
}
