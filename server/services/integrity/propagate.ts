// "A chunk found corrupt or missing marks every restore point that references it damaged."
// Each affected point gets its exact damaged list (all of the studio's damaged chunks it holds),
// not just the new ids. A point whose own verification is in flight (verifyDueAt set) also gets
// a new generation, so that job cannot overwrite this verdict with one computed before the
// damage was known; its successor counts the damaged chunk.
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import { raiseDamageAlert } from "./alerts.ts";
import { damagedChunkIds } from "./damaged.ts";
import { packIds, refsAmong } from "./refs.ts";
import { forEachRestorePoint } from "./restore-point-scan.ts";
import { enqueueDue, markDue } from "./request.ts";

/** Damaged ids kept on a restore point (the count is exact; the list is bounded). */
export const MAX_LISTED_DAMAGED = 100;
const CLOCK_SKEW_MS = 3_600_000;

export async function propagateDamage(
  ctx: Ctx,
  studioId: string,
  newly: readonly Buffer[],
  opts: { except?: string } = {},
): Promise<string[]> {
  if (!newly.length) return [];
  const first = await ctx.db.chunk.findFirst({
    where: { studioId, id: { in: newly.map((b) => bytes(b)) } },
    orderBy: { createdAt: "asc" },
    select: { createdAt: true },
  });
  // A commit needs the chunk row, so older points cannot reference it; the margin covers clock
  // skew between the API processes that stamped the two rows.
  const since = first ? { createdAt: { gte: new Date(first.createdAt.getTime() - CLOCK_SKEW_MS) } } : {};
  const all = await damagedChunkIds(ctx, studioId);
  const affected: string[] = [];
  await forEachRestorePoint(ctx, { studioId, ...since }, async (rp) => {
    if (rp.id === opts.except || refsAmong(rp.refs, newly).length === 0) return;
    await recordDamaged(ctx, studioId, rp.id, refsAmong(rp.refs, all));
    affected.push(rp.id);
  });
  return affected;
}

/** Marks one restore point damaged with its exact list, and raises its alert. */
export async function recordDamaged(ctx: Ctx, studioId: string, restorePointId: string, list: readonly Buffer[]): Promise<void> {
  const data = { health: "damaged" as const, damagedChunks: list.length, damagedChunkIds: bytes(packIds(list, MAX_LISTED_DAMAGED)) };
  const quiet = await ctx.db.restorePoint.updateMany({ where: { id: restorePointId, verifyDueAt: null }, data });
  if (quiet.count === 0) {
    await ctx.db.restorePoint.update({ where: { id: restorePointId }, data });
    await enqueueDue(ctx, await markDue(ctx.db, studioId, [restorePointId]));
  }
  await raiseDamageAlert(ctx, studioId, restorePointId, {
    damagedChunks: list.length,
    chunkIds: list.slice(0, 20).map((b) => b.toString("hex")),
  });
}
