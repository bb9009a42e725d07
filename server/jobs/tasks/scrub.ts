// Jobs "scrub-slot" (fan out: one "scrub-studio" per studio not yet scrubbed in this slot) and
// "scrub-studio" (services/integrity/scrub.ts). The slot job is added by every worker's sweeper;
// its deterministic id makes the copies collapse.
import type { Ctx } from "../../context.ts";
import { scrubStudio, type ScrubOutcome } from "../../services/integrity/scrub.ts";
import { addJob, type IntegrityQueue, type ScrubSlotJob, type ScrubStudioJob } from "../queues.ts";

const PAGE = 500;

export async function scrubSlotTask(ctx: Ctx, queue: IntegrityQueue, job: ScrubSlotJob): Promise<{ studios: number }> {
  const slotStart = new Date(job.slot * ctx.config.integrity.scrubIntervalMs);
  let cursor: string | undefined;
  let studios = 0;
  for (;;) {
    const rows = await ctx.db.studio.findMany({
      where: { OR: [{ scrubbedAt: null }, { scrubbedAt: { lt: slotStart } }] },
      orderBy: { id: "asc" },
      take: PAGE,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      select: { id: true },
    });
    for (const s of rows) await addJob(queue, "scrub-studio", { studioId: s.id, slot: job.slot });
    studios += rows.length;
    if (rows.length < PAGE) return { studios };
    cursor = rows[rows.length - 1]!.id;
  }
}

export async function scrubStudioTask(ctx: Ctx, job: ScrubStudioJob): Promise<ScrubOutcome> {
  return scrubStudio(ctx, job.studioId, job.slot);
}
