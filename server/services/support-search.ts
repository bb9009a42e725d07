// Support's search (issue 19): studios whose name, contact or owner e-mail, id or device name
// contains the query, case-insensitively. Each source is an ILIKE '%q%' served by its trigram
// index (migration *_support_search); the union of matching studio ids is capped before the
// studios are read, so a one-letter query over 10,000 studios costs the cap, not the table.
import type { Ctx } from "../context.ts";
import { Prisma } from "../db.ts";

export interface StudioMatch {
  id: string;
  name: string;
  ownerEmail: string;
  createdAt: string;
  devices: number;
}

/** `%`, `_` and `\` are matched as themselves. */
function containing(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function searchStudios(ctx: Ctx, q: string, limit: number): Promise<StudioMatch[]> {
  const pattern = containing(q);
  const rows = await ctx.db.$queryRaw<Array<{ id: string; name: string; ownerEmail: string; createdAt: Date; devices: number }>>(Prisma.sql`
    WITH hits AS (
      (SELECT s.id FROM "Studio" s WHERE s.name ILIKE ${pattern} OR s."ownerEmail" ILIKE ${pattern} OR s.id::text ILIKE ${pattern} LIMIT ${limit})
      UNION
      (SELECT m."studioId" FROM "User" u JOIN "StudioMember" m ON m."userId" = u.id WHERE u.email ILIKE ${pattern} LIMIT ${limit})
      UNION
      (SELECT d."studioId" FROM "Device" d WHERE d.name ILIKE ${pattern} LIMIT ${limit})
    )
    SELECT s.id::text AS id, s.name, s."ownerEmail", s."createdAt",
           (SELECT count(*)::int FROM "Device" d WHERE d."studioId" = s.id) AS devices
    FROM "Studio" s WHERE s.id IN (SELECT id FROM hits)
    ORDER BY s.name, s.id
    LIMIT ${limit}`);
  return rows.map((r) => ({ id: r.id, name: r.name, ownerEmail: r.ownerEmail, createdAt: r.createdAt.toISOString(), devices: r.devices }));
}
