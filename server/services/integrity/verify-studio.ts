// `datasafe-admin verify --studio ID --wait`: re-reads every blob the studio holds now (a size
// check alone misses a flipped bit), once per blob however many restore points share it, then
// records each restore point's health from the studio's damaged chunks.
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import { errors } from "../../errors.ts";
import { resolveDamageAlert } from "./alerts.ts";
import { CHECK_PAGE, CHECK_PARALLEL, checkChunks } from "./check-chunk.ts";
import { recordChecks } from "./chunk-results.ts";
import { damagedChunkIds } from "./damaged.ts";
import { recordDamaged } from "./propagate.ts";
import { refsAmong } from "./refs.ts";
import { forEachRestorePoint } from "./restore-point-scan.ts";

export interface StudioVerifyReport {
  studioId: string;
  restorePoints: number;
  verified: number;
  damaged: number;
  damagedRestorePoints: string[];
  chunksChecked: number;
  bytesChecked: number;
}

export async function verifyStudio(ctx: Ctx, studioId: string): Promise<StudioVerifyReport> {
  if (!(await ctx.db.studio.findUnique({ where: { id: studioId }, select: { id: true } }))) throw errors.notFound("studio");
  const report: StudioVerifyReport = {
    studioId,
    restorePoints: 0,
    verified: 0,
    damaged: 0,
    damagedRestorePoints: [],
    chunksChecked: 0,
    bytesChecked: 0,
  };
  let cursor: Uint8Array<ArrayBuffer> | undefined;
  for (;;) {
    const rows = await ctx.db.chunk.findMany({
      where: { studioId, state: { not: "damaged" } },
      orderBy: { id: "asc" },
      take: CHECK_PAGE,
      ...(cursor ? { cursor: { studioId_id: { studioId, id: cursor } }, skip: 1 } : {}),
      select: { id: true, size: true, sha256: true, objectKey: true, offset: true },
    });
    const checked = await checkChunks(ctx.blobs, rows, () => "read", CHECK_PARALLEL);
    for (const c of checked) {
      report.chunksChecked++;
      report.bytesChecked += c.result.bytes;
    }
    await recordChecks(ctx, studioId, checked);
    if (rows.length < CHECK_PAGE) break;
    cursor = bytes(Buffer.from(rows[rows.length - 1]!.id));
  }

  const damaged = await damagedChunkIds(ctx, studioId);
  await forEachRestorePoint(ctx, { studioId }, async (rp) => {
    report.restorePoints++;
    const list = refsAmong(rp.refs, damaged);
    if (list.length === 0) {
      report.verified++;
      await ctx.db.restorePoint.update({
        where: { id: rp.id },
        data: { health: "verified", verifiedAt: new Date(), damagedChunks: 0, damagedChunkIds: null },
      });
      await resolveDamageAlert(ctx, studioId, rp.id);
      return;
    }
    report.damaged++;
    report.damagedRestorePoints.push(rp.id);
    await recordDamaged(ctx, studioId, rp.id, list);
  });
  return report;
}
