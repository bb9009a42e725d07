// What request paths do for the collector (docs/garbage-collection.md): upload sessions' leases,
// the revive of chunks answered present, and the studio lock and generation a commit checks.
// Each is one short statement; the revive scans only marked chunks (partial index Chunk_dead_idx),
// so it costs an empty index scan when nothing is marked. Every statement here and in the mark and
// sweep that changes or deletes several chunk rows locks them in id order first (FOR UPDATE in a
// CTE ordered by id), so two of them never wait for each other in a cycle (a deadlock).
import type { Ctx } from "../../context.ts";
import { Prisma } from "../../db.ts";

/** Namespace of the studio advisory locks (pg_advisory_xact_lock(int, int)): any constant. */
export const GC_LOCK_CLASS = 0x67_63_6b; // "gck"

/** Takes the studio lock for the rest of the transaction: exclusive (a sweep) or shared (a commit). */
export function studioLock(studioId: string, mode: "exclusive" | "shared"): Prisma.Sql {
  return mode === "exclusive"
    ? Prisma.sql`SELECT pg_advisory_xact_lock(${GC_LOCK_CLASS}::int, hashtext(${studioId}))::text AS locked`
    : Prisma.sql`SELECT pg_advisory_xact_lock_shared(${GC_LOCK_CLASS}::int, hashtext(${studioId}))::text AS locked`;
}

/** The studio's GC generation (0 before its first run): bumped by every sweep that deleted chunks. */
export async function gcGeneration(ctx: Ctx, studioId: string): Promise<number> {
  const [row] = await ctx.db.$queryRaw<Array<{ generation: number }>>`
    SELECT generation FROM "GcState" WHERE "studioId" = ${studioId}::uuid`;
  return row?.generation ?? 0;
}

/**
 * Starts or extends the lease of an upload session. A session whose lease had expired starts
 * again now (what it was told before is no longer protected; its commit re-checks everything).
 */
export async function touchSession(ctx: Ctx, studioId: string, sessionId: string): Promise<void> {
  const now = ctx.clock.now();
  const until = new Date(now.getTime() + ctx.config.gc.sessionLeaseMs);
  await ctx.db.$executeRaw`
    INSERT INTO "UploadSession" ("studioId", "sessionId", "startedAt", "expiresAt")
    VALUES (${studioId}::uuid, ${sessionId}::uuid, ${now}::timestamp(3), ${until}::timestamp(3))
    ON CONFLICT ("studioId", "sessionId") DO UPDATE SET
      "startedAt" = CASE WHEN "UploadSession"."expiresAt" <= ${now}::timestamp(3) THEN EXCLUDED."startedAt" ELSE "UploadSession"."startedAt" END,
      "expiresAt" = greatest("UploadSession"."expiresAt", EXCLUDED."expiresAt")`;
}

/** The commit of the session's restore point ends its lease (its chunks are now referenced). */
export async function endSession(ctx: Ctx, studioId: string, sessionId: string): Promise<void> {
  await ctx.db.$executeRaw`DELETE FROM "UploadSession" WHERE "studioId" = ${studioId}::uuid AND "sessionId" = ${sessionId}::uuid`;
}

/** Clears the mark of these chunks (hex ids), answered present to an upload session. */
export async function reviveChunks(ctx: Ctx, studioId: string, idsHex: string[]): Promise<void> {
  if (idsHex.length === 0) return;
  await ctx.db.$executeRaw`
    WITH x AS (
      SELECT id FROM "Chunk" WHERE "studioId" = ${studioId}::uuid AND "deadSince" IS NOT NULL
        AND id IN (SELECT decode(h, 'hex') FROM unnest(${idsHex}::text[]) AS w(h))
      ORDER BY id FOR UPDATE
    )
    UPDATE "Chunk" c SET "deadSince" = NULL FROM x WHERE c."studioId" = ${studioId}::uuid AND c.id = x.id`;
}

/** Clears the mark of every chunk named by the device's pending pages of a restore point (its commit). */
export async function reviveRefPages(ctx: Ctx, who: { studioId: string; deviceId: string }, restorePointId: string): Promise<void> {
  // The EXISTS is a one-time filter: with nothing marked, the pages are not even split.
  await ctx.db.$executeRaw`
    WITH r AS (
      SELECT substring(p.ids FROM i * 32 + 1 FOR 32) AS id
      FROM "PendingRefPage" p, generate_series(0, octet_length(p.ids) / 32 - 1) AS i
      WHERE p."studioId" = ${who.studioId}::uuid AND p."restorePointId" = ${restorePointId}::uuid AND p."deviceId" = ${who.deviceId}::uuid
        AND EXISTS (SELECT 1 FROM "Chunk" m WHERE m."studioId" = ${who.studioId}::uuid AND m."deadSince" IS NOT NULL)
    ), x AS (
      SELECT c.id FROM "Chunk" c JOIN r ON c.id = r.id
      WHERE c."studioId" = ${who.studioId}::uuid AND c."deadSince" IS NOT NULL
      ORDER BY c.id FOR UPDATE OF c
    )
    UPDATE "Chunk" c SET "deadSince" = NULL FROM x WHERE c."studioId" = ${who.studioId}::uuid AND c.id = x.id`;
}
