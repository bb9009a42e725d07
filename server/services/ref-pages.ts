// A restore point's references go up in bounded pages before its commit (commit-restore-point.ts).
// Pages are kept per studio, so the same id pending in two studios never mixes; a device holds at
// most MAX_PENDING_REF_PAGES_PER_DEVICE of them, and abandoned ones expire (expire-ref-pages.ts).
import type { Ctx } from "../context.ts";
import { bytes } from "../db.ts";
import { errors } from "../errors.ts";
import { MAX_PENDING_REF_PAGES_PER_DEVICE, MAX_REFS_PER_PAGE } from "../../protocol/limits.ts";
import { touchSession } from "./gc/leases.ts";

export const ID_BYTES = 32;

/** The device writing a restore point, and its studio: every lookup below is scoped by both. */
export interface Writer {
  studioId: string;
  deviceId: string;
}

/** Whether the studio holds a committed restore point with this id (another studio's never counts). */
export async function committedInStudio(ctx: Ctx, studioId: string, restorePointId: string) {
  return ctx.db.restorePoint.findFirst({ where: { id: restorePointId, studioId }, select: { rootChunkId: true } });
}

export async function putRefPage(ctx: Ctx, who: Writer, restorePointId: string, page: number, ids: Buffer): Promise<void> {
  if (ids.length === 0 || ids.length % ID_BYTES !== 0 || ids.length / ID_BYTES > MAX_REFS_PER_PAGE) {
    throw errors.validation(`a reference page holds 1 to ${MAX_REFS_PER_PAGE} ids of ${ID_BYTES} bytes`);
  }
  // Only the caller's studio is asked: an id committed by another studio is refused at commit,
  // with this same answer (commit-restore-point.ts), never here.
  if (await committedInStudio(ctx, who.studioId, restorePointId)) throw errors.restorePointIdTaken();

  const key = { studioId: who.studioId, restorePointId, page };
  await touchSession(ctx, who.studioId, restorePointId);
  // Re-sending a page replaces it and does not count twice. Requests racing past this count can
  // overshoot the limit by at most the device's concurrent requests: a bound, not an exact quota.
  const held = await ctx.db.pendingRefPage.count({ where: { deviceId: who.deviceId, NOT: key } });
  if (held >= MAX_PENDING_REF_PAGES_PER_DEVICE) {
    throw errors.tooManyPendingRefPages(MAX_PENDING_REF_PAGES_PER_DEVICE, ctx.config.pendingRefPageTtlMs / 86_400_000);
  }

  // A page belongs to the device that sent it first: another device of the studio cannot replace
  // the pages of a restore point in flight (it would only break that commit).
  const replaced = await ctx.db.pendingRefPage.updateMany({
    where: { ...key, deviceId: who.deviceId },
    data: { ids: bytes(ids), createdAt: ctx.clock.now() },
  });
  if (replaced.count === 1) return;
  const created = await ctx.db.pendingRefPage.createMany({
    data: [{ ...key, deviceId: who.deviceId, ids: bytes(ids) }],
    skipDuplicates: true,
  });
  if (created.count === 0) throw errors.restorePointIdTaken();
}
