// Records check results on chunk rows. Every update is conditioned on the object key that was
// checked: a repair may have switched the row to a new object meanwhile, and a verdict about the
// old object must not stick to the new one. A chunk leaves `damaged` only by being repaired
// (repair.ts): a later "ok" read does not clear it, because damage reported by a signed client
// verify (content fails authentication) cannot be seen in the ciphertext hash.
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import type { CheckResult, ChunkRecord } from "./check-chunk.ts";
import { metrics } from "../../metrics.ts";

export interface Checked {
  row: ChunkRecord;
  result: CheckResult;
}

/** Saves a batch of results; returns the ids this call newly marked damaged. */
export async function recordChecks(ctx: Ctx, studioId: string, checked: readonly Checked[], now = new Date()): Promise<Buffer[]> {
  const match = (list: readonly Checked[]) => list.map((c) => ({ id: bytes(Buffer.from(c.row.id)), objectKey: c.row.objectKey }));
  const readOk = checked.filter((c) => !c.result.problem && c.result.mode === "read");
  const statOk = checked.filter((c) => !c.result.problem && c.result.mode === "stat");
  if (readOk.length) {
    await ctx.db.chunk.updateMany({
      where: { studioId, state: { not: "damaged" }, OR: match(readOk) },
      data: { state: "ok", verifiedAt: now, checkedAt: now },
    });
  }
  if (statOk.length) {
    await ctx.db.chunk.updateMany({ where: { studioId, OR: match(statOk) }, data: { checkedAt: now } });
  }
  const newly: Buffer[] = [];
  for (const c of checked) {
    if (!c.result.problem) continue;
    const id = Buffer.from(c.row.id);
    const marked = await ctx.db.chunk.updateMany({
      where: { studioId, id: bytes(id), objectKey: c.row.objectKey, state: { not: "damaged" } },
      data: { state: "damaged", problem: c.result.problem, damagedAt: now, checkedAt: now },
    });
    if (marked.count === 1) {
      newly.push(id);
      metrics.damagedChunksFound.inc({ source: "server" });
      ctx.log.error({ studioId, chunkId: id.toString("hex"), problem: c.result.problem, objectKey: c.row.objectKey }, "chunk damaged");
    }
  }
  for (const c of checked) {
    metrics.chunksChecked.inc({ mode: c.result.mode });
    metrics.bytesVerified.inc(c.result.bytes);
  }
  return newly;
}
