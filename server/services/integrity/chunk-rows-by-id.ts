// The chunk rows of a batch of ids, read for verification in one raw query: the ids travel as one
// array and are unnested (as in ../absent-ids.ts). Prisma's `id IN (...)` compiles a query per batch in its WASM
// compiler, whose memory only grows: verifying 20,000 chunks that way pushed a worker to 330 MB.
import type { Ctx } from "../../context.ts";

export interface ChunkRow {
  id: Buffer;
  size: number;
  sha256: Buffer;
  objectKey: string;
  offset: number | null;
  state: "unverified" | "ok" | "damaged";
  verifiedAt: Date | null;
}

export async function chunkRows(ctx: Ctx, studioId: string, ids: readonly Buffer[]): Promise<ChunkRow[]> {
  if (!ids.length) return [];
  const hex = ids.map((b) => b.toString("hex"));
  // Hex out: Prisma 6.19's JS engine cannot deserialize a raw bytea result column.
  const rows = await ctx.db.$queryRaw<
    Array<{
      id: string;
      size: number;
      sha256: string;
      objectKey: string;
      offset: number | null;
      state: ChunkRow["state"];
      verifiedAt: Date | null;
    }>
  >`
    SELECT encode(c.id, 'hex') AS id, c.size, encode(c.sha256, 'hex') AS sha256, c."objectKey", c."offset", c.state::text AS state, c."verifiedAt"
    FROM unnest(${hex}::text[]) AS w(hex)
    JOIN "Chunk" c ON c."studioId" = ${studioId}::uuid AND c.id = decode(w.hex, 'hex')`;
  return rows.map((r) => ({
    id: Buffer.from(r.id, "hex"),
    size: Number(r.size),
    sha256: Buffer.from(r.sha256, "hex"),
    objectKey: r.objectKey,
    offset: r.offset === null ? null : Number(r.offset),
    state: r.state,
    verifiedAt: r.verifiedAt ? new Date(r.verifiedAt) : null,
  }));
}
