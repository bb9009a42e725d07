// The studio's damaged chunks, through a partial index (migration *_damaged_chunk_index): only
// damaged rows are in it, so finding them costs a tiny index probe.
import type { Ctx } from "../../context.ts";

export async function damagedChunkIds(ctx: Ctx, studioId: string): Promise<Buffer[]> {
  // Hex out: Prisma 6.19's JS engine cannot deserialize a raw bytea result column.
  const rows = await ctx.db.$queryRaw<Array<{ id: string }>>`
    SELECT encode(id, 'hex') AS id FROM "Chunk" WHERE "studioId" = ${studioId}::uuid AND state = 'damaged'`;
  return rows.map((r) => Buffer.from(r.id, "hex"));
}
