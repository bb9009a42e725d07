// Restore points as the API reads them: support's "latest", the list, one by id, always within the
// caller's studio. Writing one: ref-pages.ts (reference pages) and commit-restore-point.ts.
import type { Ctx } from "../context.ts";
import { Prisma } from "../db.ts";
import { errors } from "../errors.ts";

export type { Writer } from "./ref-pages.ts";

/** What the read routes present (http/presenters.ts); never the packed `refs` column. */
export interface RestorePointRow {
  id: string;
  createdAt: Date;
  label: string | null;
  files: number;
  bytes: bigint;
  deviceId: string;
  rootChunkId: Buffer;
  refCount: number;
  skipped: number;
  device: { name: string };
  health: "pending" | "verified" | "damaged";
  verifiedAt: Date | null;
  damagedChunks: number;
  clientVerifiedAt: Date | null;
  clientVerifyOk: boolean | null;
  repairUnconfirmedAt: Date | null;
}

type RawRow = Omit<RestorePointRow, "rootChunkId" | "device"> & { rootChunkId: string; deviceName: string };

/**
 * The read paths (support's "latest", the list, one by id) as one raw query joining the device
 * name. Prisma's findFirst/findMany with `device: { select }` ran two queries per call, each
 * through its query compiler and interpreter: at 3.65 M restore points the database answers in
 * ~0.2 ms but the call took 1.8 ms (p50) and up to 9 ms (p99, mostly allocation and GC); one raw
 * query takes about half that (test/bench/lookup.ts). The order (createdAt desc, id desc) is the
 * index RestorePoint(studioId, createdAt desc) read backwards from the newest entry.
 */
async function readRestorePoints(ctx: Ctx, studioId: string, filter: Prisma.Sql, limit: number): Promise<RestorePointRow[]> {
  // Hex out: Prisma 6.19's JS engine cannot deserialize a raw bytea result column.
  const rows = await ctx.db.$queryRaw<RawRow[]>`
    SELECT r.id, r."createdAt", r.label, r.files, r.bytes, r."deviceId", encode(r."rootChunkId", 'hex') AS "rootChunkId",
           r."refCount", r.skipped, r.health::text AS health, r."verifiedAt", r."damagedChunks",
           r."clientVerifiedAt", r."clientVerifyOk", r."repairUnconfirmedAt", d.name AS "deviceName"
    FROM "RestorePoint" r JOIN "Device" d ON d.id = r."deviceId"
    WHERE r."studioId" = ${studioId}::uuid ${filter}
    ORDER BY r."createdAt" DESC, r.id DESC
    LIMIT ${limit}`;
  return rows.map(({ deviceName, rootChunkId, ...r }) => ({
    ...r,
    bytes: BigInt(r.bytes),
    rootChunkId: Buffer.from(rootChunkId, "hex"),
    device: { name: deviceName },
  }));
}

export async function listRestorePoints(
  ctx: Ctx,
  studioId: string,
  opts: { deviceName?: string; limit: number },
): Promise<RestorePointRow[]> {
  const filter = opts.deviceName ? Prisma.sql`AND d.name = ${opts.deviceName}` : Prisma.empty;
  return readRestorePoints(ctx, studioId, filter, opts.limit);
}

/** One restore point of the studio, or its newest with `latest`. */
export async function getRestorePoint(ctx: Ctx, studioId: string, idOrLatest: string): Promise<RestorePointRow> {
  const filter = idOrLatest === "latest" ? Prisma.empty : Prisma.sql`AND r.id = ${idOrLatest}::uuid`;
  const [row] = await readRestorePoints(ctx, studioId, filter, 1);
  if (!row) throw errors.notFound("restore point");
  return row;
}
