// Records check results on chunk rows. Every update is conditioned on the object key that was
// checked: a repair may have switched the row to a new object meanwhile, and a verdict about the
// old object must not stick to the new one. A chunk leaves `damaged` only by being repaired
// (repair.ts): a later "ok" read does not clear it, because damage reported by a signed client
// verify (content fails authentication) cannot be seen in the ciphertext hash.
import type { Ctx } from "../../context.ts";
import type { CheckResult, ChunkRecord } from "./check-chunk.ts";
import { metrics } from "../../metrics.ts";

export interface Checked {
  row: ChunkRecord;
  result: CheckResult;
}

const LOGGED_PER_BATCH = 20;

/**
 * Saves a batch of results; returns the ids this call newly marked damaged. Three set-based
 * statements per batch (ids and keys as arrays): per-row Prisma updates cost a query each and
 * grow Prisma's WASM memory with every distinct query shape.
 */
export async function recordChecks(ctx: Ctx, studioId: string, checked: readonly Checked[], now = new Date()): Promise<Buffer[]> {
  const cols = (list: readonly Checked[]) => ({
    ids: list.map((c) => Buffer.from(c.row.id).toString("hex")),
    keys: list.map((c) => c.row.objectKey),
  });
  const readOk = cols(checked.filter((c) => !c.result.problem && c.result.mode === "read"));
  const statOk = cols(checked.filter((c) => !c.result.problem && c.result.mode === "stat"));
  const bad = checked.filter((c) => c.result.problem);
  if (readOk.ids.length) {
    await ctx.db.$executeRaw`
      UPDATE "Chunk" c SET state = 'ok', "verifiedAt" = ${now}, "checkedAt" = ${now}
      FROM unnest(${readOk.ids}::text[], ${readOk.keys}::text[]) AS u(id, key)
      WHERE c."studioId" = ${studioId}::uuid AND c.id = decode(u.id, 'hex') AND c."objectKey" = u.key AND c.state <> 'damaged'`;
  }
  if (statOk.ids.length) {
    await ctx.db.$executeRaw`
      UPDATE "Chunk" c SET "checkedAt" = ${now}
      FROM unnest(${statOk.ids}::text[], ${statOk.keys}::text[]) AS u(id, key)
      WHERE c."studioId" = ${studioId}::uuid AND c.id = decode(u.id, 'hex') AND c."objectKey" = u.key`;
  }
  const newly: Buffer[] = [];
  if (bad.length) {
    const b = cols(bad);
    const problems = bad.map((c) => c.result.problem!);
    const marked = await ctx.db.$queryRaw<Array<{ id: string; problem: string; objectKey: string }>>`
      UPDATE "Chunk" c SET state = 'damaged', problem = u.problem, "damagedAt" = ${now}, "checkedAt" = ${now}
      FROM unnest(${b.ids}::text[], ${b.keys}::text[], ${problems}::text[]) AS u(id, key, problem)
      WHERE c."studioId" = ${studioId}::uuid AND c.id = decode(u.id, 'hex') AND c."objectKey" = u.key AND c.state <> 'damaged'
      RETURNING encode(c.id, 'hex') AS id, c.problem, c."objectKey"`;
    for (const [i, m] of marked.entries()) {
      newly.push(Buffer.from(m.id, "hex"));
      metrics.damagedChunksFound.inc({ source: "server" });
      if (i < LOGGED_PER_BATCH) ctx.log.error({ studioId, chunkId: m.id, problem: m.problem, objectKey: m.objectKey }, "chunk damaged");
    }
    if (marked.length > LOGGED_PER_BATCH) ctx.log.error({ studioId, count: marked.length }, "more chunks damaged in this batch");
  }
  for (const c of checked) {
    metrics.chunksChecked.inc({ mode: c.result.mode });
    metrics.bytesVerified.inc(c.result.bytes);
  }
  return newly;
}
