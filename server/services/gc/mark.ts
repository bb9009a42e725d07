// The mark (docs/garbage-collection.md, step 2): every chunk row of the studio is compared with
// the live set, BATCH rows per round trip in key order: rows found live lose their mark, rows
// found dead and unmarked get one. No lock: the sweep re-checks every candidate under the lock.
import type { Ctx } from "../../context.ts";
import type { LiveSet } from "./live-set.ts";

const BATCH = 10_000;

export interface MarkResult {
  chunks: number;
  marked: number;
  revived: number;
}

export async function markStudio(ctx: Ctx, studioId: string, live: LiveSet): Promise<MarkResult> {
  const out: MarkResult = { chunks: 0, marked: 0, revived: 0 };
  let after = "";
  for (;;) {
    const rows = await ctx.db.$queryRaw<Array<{ id: string; dead: boolean }>>`
      SELECT encode(id, 'hex') AS id, "deadSince" IS NOT NULL AS dead FROM "Chunk"
      WHERE "studioId" = ${studioId}::uuid AND id > decode(${after}, 'hex') ORDER BY id LIMIT ${BATCH}::int`;
    if (rows.length === 0) return out;
    out.chunks += rows.length;
    const toMark: string[] = [];
    const toRevive: string[] = [];
    for (const r of rows) {
      const isLive = live.ids.has(r.id);
      if (isLive && r.dead) toRevive.push(r.id);
      else if (!isLive && !r.dead) toMark.push(r.id);
    }
    if (toRevive.length) {
      out.revived += await ctx.db.$executeRaw`
        WITH x AS (
          SELECT id FROM "Chunk" WHERE "studioId" = ${studioId}::uuid AND id IN (SELECT decode(h, 'hex') FROM unnest(${toRevive}::text[]) AS w(h))
          ORDER BY id FOR UPDATE
        )
        UPDATE "Chunk" c SET "deadSince" = NULL FROM x WHERE c."studioId" = ${studioId}::uuid AND c.id = x.id`;
    }
    if (toMark.length) {
      // Never before the start of a session whose revive committed before this statement: its
      // row was written first, so this statement sees it (why the sweep may trust `deadSince <`
      // the earliest session start).
      out.marked += await ctx.db.$executeRaw`
        WITH x AS (
          SELECT id FROM "Chunk" WHERE "studioId" = ${studioId}::uuid AND "deadSince" IS NULL
            AND id IN (SELECT decode(h, 'hex') FROM unnest(${toMark}::text[]) AS w(h))
          ORDER BY id FOR UPDATE
        )
        UPDATE "Chunk" c SET "deadSince" = greatest(${ctx.clock.now()}::timestamp(3),
          (SELECT max("startedAt") FROM "UploadSession" WHERE "studioId" = ${studioId}::uuid))
        FROM x WHERE c."studioId" = ${studioId}::uuid AND c.id = x.id AND c."deadSince" IS NULL`;
    }
    after = rows.at(-1)!.id;
  }
}
