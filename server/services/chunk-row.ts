// The chunk-row statements of the upload path (packs.ts, relayed or direct),
// as raw SQL with hex in and out: Prisma's query builder costs ~1 ms of API CPU per query under
// load, and its JS engine cannot pass or read raw bytea.
import type { Ctx } from "../context.ts";
import type { Db } from "../db.ts";

export interface NewChunkRow {
  studioId: string;
  idHex: string;
  size: number;
  sha256Hex: string;
  objectKey: string;
  /** Where the chunk starts in its pack object; null (or absent) when the object is the chunk alone. */
  offset?: number | null;
}

/** Where the statements run: the client, or a transaction's client (upload-records.ts). */
export type Sql = Pick<Db, "$queryRaw" | "$executeRaw">;

/**
 * Claims each id for the studio with this object, unless the studio holds it already: the hex ids
 * whose row was inserted. One INSERT ... ON CONFLICT DO NOTHING for the whole pack, so racing
 * uploads settle in Postgres (the first complete upload wins).
 */
export async function insertChunkRows(db: Sql, studioId: string, rows: Array<Omit<NewChunkRow, "studioId">>): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const inserted = await db.$queryRaw<Array<{ id: string }>>`
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
