// The chunk-row statements of the upload path (packs.ts, relayed or direct): claiming the rows of
// a pack's chunks and reading one row back. Raw SQL with hex in and out: Prisma's query builder
// costs ~1 ms of API CPU per query under load, and its JS engine cannot pass or read raw bytea.
import type { Ctx } from "../context.ts";
import { Prisma } from "../db.ts";

export interface NewChunkRow {
  studioId: string;
  idHex: string;
  size: number;
  sha256Hex: string;
  objectKey: string;
  /** Where the chunk starts in its pack object; null (or absent) when the object is the chunk alone. */
  offset?: number | null;
}

/**
 * Claims each id for the studio with this object, unless the studio holds it already: the hex ids
 * whose row was inserted. One INSERT ... ON CONFLICT DO NOTHING for the whole pack, so racing
 * uploads settle in Postgres (the first complete upload wins). `after`: a data-modifying CTE
 * (`WITH name AS (...)`) run in the same statement, hence atomically (upload-records.ts); when
 * `gate` names it, the rows go in only if it returned a row.
 */
export async function insertChunkRows(
  ctx: Ctx,
  studioId: string,
  rows: Array<Omit<NewChunkRow, "studioId">>,
  o: { with?: Prisma.Sql; gate?: string } = {},
): Promise<Set<string>> {
  const gate = o.gate ? Prisma.sql`WHERE EXISTS (SELECT 1 FROM ${Prisma.raw(o.gate)})` : Prisma.empty;
  const inserted = await ctx.db.$queryRaw<Array<{ id: string }>>`
    ${o.with ?? Prisma.empty}
    INSERT INTO "Chunk" ("studioId", id, size, sha256, "objectKey", "offset", "createdAt")
    SELECT ${studioId}::uuid, decode(t.id, 'hex'), t.size, decode(t.sha, 'hex'), t.key, t.off, now() AT TIME ZONE 'UTC'
    FROM unnest(${rows.map((r) => r.idHex)}::text[], ${rows.map((r) => r.size)}::int[], ${rows.map((r) => r.sha256Hex)}::text[], ${rows.map((r) => r.objectKey)}::text[], ${rows.map((r) => r.offset ?? null)}::int[]) AS t(id, size, sha, key, off)
    ${gate}
    ON CONFLICT DO NOTHING
    RETURNING encode(id, 'hex') AS id`;
  return new Set(inserted.map((r) => r.id));
}

export interface ChunkRowState {
  size: number;
  state: "unverified" | "ok" | "damaged";
  objectKey: string;
  offset: number | null;
}

/** The studio's row for a chunk id, or null. */
export async function chunkRowOf(ctx: Ctx, studioId: string, idHex: string): Promise<ChunkRowState | null> {
  const [row] = await ctx.db.$queryRaw<ChunkRowState[]>`
    SELECT size, state::text AS state, "objectKey", "offset" FROM "Chunk" WHERE "studioId" = ${studioId}::uuid AND id = decode(${idHex}, 'hex')`;
  return row ?? null;
}
