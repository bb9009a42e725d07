// The two chunk-row statements of the upload paths (relayed: chunks.ts, direct: direct-chunks.ts),
// as raw SQL with hex in and out: Prisma's query builder costs ~1 ms of API CPU per query under
// load, and its JS engine cannot pass or read raw bytea.
import type { Ctx } from "../context.ts";

export interface NewChunkRow {
  studioId: string;
  idHex: string;
  size: number;
  sha256Hex: string;
  objectKey: string;
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

export interface ChunkRowState {
  size: number;
  state: "unverified" | "ok" | "damaged";
  objectKey: string;
}

/** The studio's row for a chunk id, or null. */
export async function chunkRowOf(ctx: Ctx, studioId: string, idHex: string): Promise<ChunkRowState | null> {
  const [row] = await ctx.db.$queryRaw<ChunkRowState[]>`
    SELECT size, state::text AS state, "objectKey" FROM "Chunk" WHERE "studioId" = ${studioId}::uuid AND id = decode(${idHex}, 'hex')`;
  return row ?? null;
}
