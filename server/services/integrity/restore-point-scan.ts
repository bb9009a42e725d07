// Walks a studio's restore points with their packed references, a few rows at a time (a row's
// refs are up to a few MB: 32 bytes per chunk), oldest first.
//
// Finding the restore points that reference a chunk: there is no (restore point, chunk) table by
// design (it would grow as restore points x chunks), so we scan the studio's points and binary-search each
// one's sorted refs (refs.ts). Cost: reading the refs of the studio's points created since the
// chunk was first stored (a commit needs the chunk row, so older points cannot reference it) —
// at the design's extreme (220 k chunks, a year of daily points) about 7 MB x 365 = 2.5 GB read
// from Postgres per damage event, and the CPU cost is negligible (18 comparisons per id and
// point). Damage is rare; the common case (a chunk of a recent backup) reads far less.
import type { Ctx } from "../../context.ts";
import type { Prisma } from "../../db.ts";

const PAGE = 8;

export interface ScannedPoint {
  id: string;
  refs: Buffer;
  verifyGeneration: number;
  verifyDueAt: Date | null;
  health: "pending" | "verified" | "damaged";
}

export async function forEachRestorePoint(
  ctx: Ctx,
  where: Prisma.RestorePointWhereInput & { studioId: string },
  fn: (rp: ScannedPoint) => Promise<void>,
): Promise<void> {
  let cursor: string | undefined;
  for (;;) {
    const rows = await ctx.db.restorePoint.findMany({
      where,
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: PAGE,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      select: { id: true, refs: true, verifyGeneration: true, verifyDueAt: true, health: true },
    });
    for (const r of rows) await fn({ ...r, refs: Buffer.from(r.refs) });
    if (rows.length < PAGE) return;
    cursor = rows[rows.length - 1]!.id;
  }
}
