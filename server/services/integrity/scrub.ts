// The scrub: each run re-reads a share of one studio's stored blobs, least recently verified
// first, so that every blob is re-read within the scrub period (restic's --read-data-subset,
// rotating). A run reads at least ceil(chunks x interval / period) blobs (the share that spreads
// the period's work evenly over its runs) and, beyond it, every blob that would otherwise
// outlive the period before the next run (verified more than period - 2 x interval ago).
// A run is recorded on the studio (scrubbedAt = slot start), so a slot re-run after Redis lost
// the job does not read another share.
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import { CHECK_PAGE, CHECK_PARALLEL, checkChunks } from "./check-chunk.ts";
import { recordChecks } from "./chunk-results.ts";
import { propagateDamage } from "./propagate.ts";
import { unpackIds } from "./refs.ts";
import { requestVerification } from "./request.ts";

export interface ScrubOutcome {
  studioId: string;
  skipped: boolean;
  chunksChecked: number;
  bytesChecked: number;
  damaged: number;
}

export async function scrubStudio(ctx: Ctx, studioId: string, slot: number): Promise<ScrubOutcome> {
  const { scrubPeriodMs: period, scrubIntervalMs: interval } = ctx.config.integrity;
  const outcome: ScrubOutcome = { studioId, skipped: true, chunksChecked: 0, bytesChecked: 0, damaged: 0 };
  const slotStart = new Date(slot * interval);
  const studio = await ctx.db.studio.findUnique({ where: { id: studioId }, select: { scrubbedAt: true } });
  if (!studio || (studio.scrubbedAt && studio.scrubbedAt >= slotStart)) return outcome;
  outcome.skipped = false;

  const started = new Date();
  const total = await ctx.db.chunk.count({ where: { studioId } });
  const share = Math.ceil((total * interval) / period);
  const dueBefore = new Date(started.getTime() - (period - 2 * interval));
  const newly: Buffer[] = [];
  for (;;) {
    // Rows read by this run move to the end of this order (verifiedAt = now), so each page is
    // simply the next least recently verified ones; no cursor needed.
    const rows = await ctx.db.chunk.findMany({
      where: { studioId, state: { not: "damaged" } },
      orderBy: [{ verifiedAt: { sort: "asc", nulls: "first" } }, { id: "asc" }],
      take: CHECK_PAGE,
      select: { id: true, size: true, sha256: true, objectKey: true, offset: true, verifiedAt: true },
    });
    const todo = rows.filter((r, i) => {
      if (r.verifiedAt && r.verifiedAt >= started) return false; // read by this run already
      return outcome.chunksChecked + i < share || !r.verifiedAt || r.verifiedAt < dueBefore;
    });
    if (!todo.length) break;
    const checked = await checkChunks(ctx.blobs, todo, () => "read", CHECK_PARALLEL);
    for (const c of checked) {
      outcome.chunksChecked++;
      outcome.bytesChecked += c.result.bytes;
      if (c.result.problem) outcome.damaged++;
    }
    newly.push(...(await recordChecks(ctx, studioId, checked)));
    if (todo.length < rows.length) break; // the rest is neither in the share nor due
  }
  await propagateDamage(ctx, studioId, newly);
  await reverifyRepaired(ctx, studioId);
  await ctx.db.studio.updateMany({
    where: { id: studioId, OR: [{ scrubbedAt: null }, { scrubbedAt: { lt: slotStart } }] },
    data: { scrubbedAt: slotStart },
  });
  ctx.log.info(outcome, "scrub run");
  return outcome;
}

/**
 * Damaged points that list a chunk which is no longer damaged (it was repaired, and the request
 * to re-verify them was lost with a crashed API process) are verified again.
 */
async function reverifyRepaired(ctx: Ctx, studioId: string): Promise<void> {
  const points = await ctx.db.restorePoint.findMany({
    where: { studioId, health: "damaged", verifyDueAt: null },
    select: { id: true, damagedChunkIds: true },
  });
  const stale: string[] = [];
  for (const p of points) {
    const listed = unpackIds(p.damagedChunkIds).map((h) => bytes(Buffer.from(h, "hex")));
    if (!listed.length) continue;
    const still = await ctx.db.chunk.count({ where: { studioId, id: { in: listed }, state: "damaged" } });
    if (still < listed.length) stale.push(p.id);
  }
  if (stale.length) await requestVerification(ctx, studioId, stale);
}
