// Restore points: references sent in bounded pages, then an atomic commit that succeeds only when
// every referenced chunk is stored. The id is chosen (and signed) by the uploader, so a commit
// interrupted after the server applied it can be retried and gets the same answer.
import type { Ctx } from "../context.ts";
import { bytes } from "../db.ts";
import { errors } from "../errors.ts";
import { faultPoint } from "../faults.ts";
import { type CommitBody, MAX_REFS_PER_PAGE } from "../http/schemas.ts";
import { absentIds } from "./absent-ids.ts";
import { damagedAmong } from "./integrity/damaged.ts";

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
  const missing = [...(await absentIds(ctx, who.studioId, all)), ...(await damagedAmong(ctx, who.studioId, all))];
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

const listSelect = {
  id: true, createdAt: true, label: true, files: true, bytes: true, deviceId: true,
  rootChunkId: true, refCount: true, skipped: true, device: { select: { name: true } },
  health: true, verifiedAt: true, damagedChunks: true, clientVerifiedAt: true, clientVerifyOk: true,
} as const;

export async function listRestorePoints(ctx: Ctx, studioId: string, opts: { deviceName?: string; limit: number }) {
  return ctx.db.restorePoint.findMany({
    where: { studioId, ...(opts.deviceName ? { device: { name: opts.deviceName } } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: opts.limit,
    select: listSelect,
  });
}

/** One restore point of the studio, or its newest with `latest`. */
export async function getRestorePoint(ctx: Ctx, studioId: string, idOrLatest: string) {
  const row =
    idOrLatest === "latest"
      ? await ctx.db.restorePoint.findFirst({ where: { studioId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], select: listSelect })
      : await ctx.db.restorePoint.findFirst({ where: { studioId, id: idOrLatest }, select: listSelect });
  if (!row) throw errors.notFound("restore point");
  return row;
}

export type RestorePointRow = Awaited<ReturnType<typeof getRestorePoint>>;
