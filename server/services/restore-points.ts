// Restore points: references sent in bounded pages, then an atomic commit that succeeds only when
// every referenced chunk is stored. The id is chosen (and signed) by the uploader, so a commit
// interrupted after the server applied it can be retried and gets the same answer.
import type { Ctx } from "../context.ts";
import { bytes, Prisma } from "../db.ts";
import { errors } from "../errors.ts";
import { faultPoint } from "../faults.ts";
import { type CommitBody, MAX_REFS_PER_PAGE } from "../http/schemas.ts";
import { absentIds } from "./absent-ids.ts";

const ID = 32;

export interface Writer {
  studioId: string;
  deviceId: string;
}

export async function putRefPage(ctx: Ctx, who: Writer, restorePointId: string, page: number, ids: Buffer) {
  if (ids.length === 0 || ids.length % ID !== 0 || ids.length / ID > MAX_REFS_PER_PAGE) {
    throw errors.validation(`a reference page holds 1 to ${MAX_REFS_PER_PAGE} ids of ${ID} bytes`);
  }
  const committed = await ctx.db.restorePoint.findUnique({ where: { id: restorePointId }, select: { id: true } });
  if (committed) throw errors.conflict("ALREADY_COMMITTED", "this restore point is already committed");
  const key = { studioId: who.studioId, restorePointId, page };
  await ctx.db.pendingRefPage.upsert({
    where: { studioId_restorePointId_page: key },
    create: { ...key, deviceId: who.deviceId, ids: bytes(ids) },
    update: { deviceId: who.deviceId, ids: bytes(ids), createdAt: new Date() },
  });
}

export async function commitRestorePoint(ctx: Ctx, who: Writer, restorePointId: string, body: CommitBody) {
  const rootChunkId = Buffer.from(body.rootChunkId, "hex");
  const existing = await ctx.db.restorePoint.findUnique({ where: { id: restorePointId } });
  if (existing) {
    // A retried commit: same studio and same manifest root means it is the same restore point.
    if (existing.studioId === who.studioId && Buffer.from(existing.rootChunkId).equals(rootChunkId)) {
      return { restorePointId, created: false };
    }
    throw errors.conflict("ALREADY_COMMITTED", "a different restore point with this id exists");
  }

  const pages = await ctx.db.pendingRefPage.findMany({
    where: { studioId: who.studioId, restorePointId, deviceId: who.deviceId },
    orderBy: { page: "asc" },
  });
  if (pages.length !== body.refPages || pages.some((p, i) => p.page !== i)) {
    throw errors.conflict("REFS_INCOMPLETE", `expected ${body.refPages} reference pages, server holds ${pages.length}`);
  }
  const refs = Buffer.concat(pages.map((p) => Buffer.from(p.ids)));
  const count = refs.length / ID;
  if (count !== body.refCount) throw errors.validation(`refCount is ${body.refCount} but pages hold ${count} ids`);
  let rootListed = false;
  for (let i = 0; i < count; i++) {
    const id = refs.subarray(i * ID, (i + 1) * ID);
    if (i > 0 && Buffer.compare(refs.subarray((i - 1) * ID, i * ID), id) >= 0) {
      throw errors.validation("references must be sorted and unique");
    }
    if (!rootListed && id.equals(rootChunkId)) rootListed = true;
  }
  if (!rootListed) throw errors.validation("references must include the manifest root chunk");

  const all: Buffer[] = [];
  for (let i = 0; i < count; i++) all.push(refs.subarray(i * ID, (i + 1) * ID));
  // A damaged chunk counts as missing: the uploader then re-reads its files and sends it again
  // (integrity repair), instead of committing a point that is damaged from birth.
  const missing = await absentIds(ctx, who.studioId, all);
  if (missing.length) {
    throw errors.conflict("CHUNKS_MISSING", `${missing.length} referenced chunks are not stored`, {
      missing: missing.slice(0, 1000).map((m) => m.toString("hex")),
      missingCount: missing.length,
    });
  }

  faultPoint(ctx.config, "commit-before-transaction");
  await ctx.db.$transaction([
    ctx.db.restorePoint.create({
      data: {
        id: restorePointId,
        studioId: who.studioId,
        deviceId: who.deviceId,
        label: body.label,
        files: body.files,
        skipped: body.skipped,
        bytes: BigInt(body.bytes),
        rootChunkId: bytes(rootChunkId),
        refs: bytes(refs),
        refCount: count,
      },
    }),
    ctx.db.pendingRefPage.deleteMany({ where: { studioId: who.studioId, restorePointId } }),
  ]);
  faultPoint(ctx.config, "commit-after-transaction");
  await ctx.jobs.verifyRestorePoint({ studioId: who.studioId, restorePointId });
  return { restorePointId, created: true };
}

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

export async function listRestorePoints(ctx: Ctx, studioId: string, opts: { deviceName?: string; limit: number }): Promise<RestorePointRow[]> {
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
