// The chunk-row statements of the upload paths (relayed: chunks.ts, direct: direct-chunks.ts, packs.ts),
// as raw SQL with hex in and out: Prisma's query builder costs ~1 ms of API CPU per query under
// load, and its JS engine cannot pass or read raw bytea.
import type { Ctx } from "../context.ts";

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
 * Claims the id for the studio with this object, unless the studio holds it already: true if the
 * row was inserted. One INSERT ... ON CONFLICT DO NOTHING, so racing uploads settle in Postgres
 * (the first complete upload wins).
 */
export async function insertChunkRow(ctx: Ctx, r: NewChunkRow): Promise<boolean> {
  const created = await ctx.db.$executeRaw`
    INSERT INTO "Chunk" ("studioId", id, size, sha256, "objectKey", "createdAt")
    VALUES (${r.studioId}::uuid, decode(${r.idHex}, 'hex'), ${r.size}, decode(${r.sha256Hex}, 'hex'), ${r.objectKey}, now() AT TIME ZONE 'UTC')
    ON CONFLICT DO NOTHING`;
  return created === 1;
}

/** insertChunkRow for many rows of one studio in one statement: the hex ids that were inserted. */
export async function insertChunkRows(ctx: Ctx, studioId: string, rows: Array<Omit<NewChunkRow, "studioId">>): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const inserted = await ctx.db.$queryRaw<Array<{ id: string }>>`
    INSERT INTO "Chunk" ("studioId", id, size, sha256, "objectKey", "offset", "createdAt")
    SELECT ${studioId}::uuid, decode(t.id, 'hex'), t.size, decode(t.sha, 'hex'), t.key, t.off, now() AT TIME ZONE 'UTC'
    FROM unnest(${rows.map((r) => r.idHex)}::text[], ${rows.map((r) => r.size)}::int[], ${rows.map((r) => r.sha256Hex)}::text[], ${rows.map((r) => r.objectKey)}::text[], ${rows.map((r) => r.offset ?? null)}::int[]) AS t(id, size, sha, key, off)
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
