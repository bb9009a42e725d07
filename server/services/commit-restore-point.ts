// The commit of a restore point: atomic, and only when every referenced chunk is stored. The id
// is chosen (and signed into the manifest) by the uploader, so a commit interrupted after the
// server applied it can be retried and gets the same answer.
//
// Bounded work: the pages are checked one at a time (check-ref-pages.ts), and the `refs` value is
// built by Postgres from the pending pages (string_agg in page order) in the statement that
// inserts the restore point and deletes the pages, never concatenated in Node.
//
// Ids are one namespace across studios (the primary key), scoped by studio in every lookup: an
// id committed by another studio gets the answer an id taken in the caller's own studio gets
// (ALREADY_COMMITTED, "pick another id"), and nothing else about it. The ids are random UUIDs
// (122 bits), so a caller only meets that answer for an id it already knew.
//
// Garbage collection (docs/garbage-collection.md): the insert runs in a transaction holding the
// studio lock shared, and only if no sweep deleted chunks since the check began (the studio's GC
// generation); else the check runs again, and a collected chunk is reported missing.
import type { Ctx } from "../context.ts";
import { bytes } from "../db.ts";
import { errors } from "../errors.ts";
import { faultPoint } from "../../protocol/fault-points.ts";
import type { CommitBody } from "../../protocol/schemas.ts";
import { checkRefPages } from "./check-ref-pages.ts";
import { committedInStudio, type Writer } from "./ref-pages.ts";
import { gcGeneration, reviveRefPages, studioLock } from "./gc/leases.ts";

/** Checks run again this many times when sweeps keep deleting chunks between check and insert. */
const GC_RETRIES = 3;

export async function commitRestorePoint(
  ctx: Ctx,
  who: Writer,
  restorePointId: string,
  body: CommitBody,
): Promise<{ restorePointId: string; created: boolean }> {
  const rootChunkId = Buffer.from(body.rootChunkId, "hex");
  const retried = await sameCommitDone(ctx, who, restorePointId, rootChunkId);
  if (retried !== null) return retried;

  let result: InsertResult | undefined;
  for (let attempt = 0; !result || !result.collectedOk; attempt++) {
    if (attempt === GC_RETRIES) throw errors.busy(5);
    const generation = await gcGeneration(ctx, who.studioId);
    const refs = await checkedReferences(ctx, who, restorePointId, body, rootChunkId);
    await reviveRefPages(ctx, who, restorePointId);
    faultPoint(ctx.config.faultPoint, "commit-before-transaction");
    result = await insertIfPagesUnchanged(ctx, who, restorePointId, body, rootChunkId, refs, generation);
  }
  if (!result.checked) {
    throw errors.conflict("REFS_INCOMPLETE", "the reference pages changed while the commit was checked; send them again");
  }
  if (!result.inserted) {
    const again = await sameCommitDone(ctx, who, restorePointId, rootChunkId);
    if (again !== null) return again; // a concurrent retry of this same commit won
    await ctx.db.pendingRefPage.deleteMany({ where: { studioId: who.studioId, restorePointId, deviceId: who.deviceId } });
    throw errors.restorePointIdTaken();
  }
  faultPoint(ctx.config.faultPoint, "commit-after-transaction");
  await ctx.jobs.verifyRestorePoint({ studioId: who.studioId, restorePointId });
  return { restorePointId, created: true };
}

type CheckedRefs = Awaited<ReturnType<typeof checkRefPages>>;
/** collectedOk: no sweep deleted chunks since `generation` was read (else nothing was done). */
type InsertResult = { checked: number; inserted: number; collectedOk: boolean };

/**
 * The device's pages as the commit announces them (count of pages and of ids, the root among
 * them), every referenced chunk stored and sound; else the conflict or refusal that says why.
 */
async function checkedReferences(
  ctx: Ctx,
  who: Writer,
  restorePointId: string,
  body: CommitBody,
  rootChunkId: Buffer,
): Promise<CheckedRefs> {
  const held = await ctx.db.pendingRefPage.count({ where: { studioId: who.studioId, restorePointId, deviceId: who.deviceId } });
  if (held !== body.refPages) {
    throw errors.conflict("REFS_INCOMPLETE", `expected ${body.refPages} reference pages, server holds ${held}`);
  }
  const refs = await checkRefPages(ctx, who, restorePointId, body.refPages, rootChunkId);
  if (refs.count !== body.refCount) throw errors.validation(`refCount is ${body.refCount} but pages hold ${refs.count} ids`);
  if (!refs.rootListed) throw errors.validation("references must include the manifest root chunk");
  // A damaged chunk counts as missing: the uploader then re-reads its files and sends it again
  // (integrity repair), instead of committing a point that is damaged from birth.
  if (refs.missingCount) {
    throw errors.conflict("CHUNKS_MISSING", `${refs.missingCount} referenced chunks are not stored`, {
      missing: refs.missing,
      missingCount: refs.missingCount,
    });
  }
  return refs;
}

/**
 * One statement, after the studio lock (shared) in the same transaction: the restore point is
 * inserted only if the device's pages are still the ones checked (same count, same SHA-256 of each
 * page) and the GC generation is still `generation`, and the pages (and the session's lease) are
 * deleted only if it was inserted. ON CONFLICT: the id is taken (by this studio meanwhile or by
 * another studio), which the caller tells apart.
 */
async function insertIfPagesUnchanged(
  ctx: Ctx,
  who: Writer,
  restorePointId: string,
  body: CommitBody,
  rootChunkId: Buffer,
  refs: CheckedRefs,
  generation: number,
): Promise<InsertResult> {
  const now = ctx.clock.now();
  const [, [result]] = await ctx.db.$transaction([
    ctx.db.$queryRaw`${studioLock(who.studioId, "shared")}`,
    ctx.db.$queryRaw<InsertResult[]>`
    WITH gc AS MATERIALIZED (
      SELECT coalesce((SELECT generation FROM "GcState" WHERE "studioId" = ${who.studioId}::uuid), 0) = ${generation}::int AS ok
    ), agg AS MATERIALIZED (
      SELECT string_agg(ids, ''::bytea ORDER BY page) AS refs, sha256(string_agg(sha256(ids), ''::bytea ORDER BY page)) AS digest,
             count(*) AS pages
      FROM "PendingRefPage"
      WHERE "studioId" = ${who.studioId}::uuid AND "restorePointId" = ${restorePointId}::uuid AND "deviceId" = ${who.deviceId}::uuid
    ), checked AS MATERIALIZED (
      SELECT refs FROM agg WHERE pages = ${body.refPages}::bigint AND digest = ${bytes(refs.digest)}::bytea AND (SELECT ok FROM gc)
    ), ins AS (
      INSERT INTO "RestorePoint" (id, "studioId", "deviceId", "createdAt", label, files, skipped, bytes, "rootChunkId", refs, "refCount", "verifyDueAt")
      SELECT ${restorePointId}::uuid, ${who.studioId}::uuid, ${who.deviceId}::uuid, ${now}::timestamp(3), ${body.label}::text, ${body.files}::int,
             ${body.skipped}::int, ${BigInt(body.bytes)}::bigint, ${bytes(rootChunkId)}::bytea, refs, ${refs.count}::int, ${now}::timestamp(3)
      FROM checked
      ON CONFLICT (id) DO NOTHING
      RETURNING id
    ), del AS (
      DELETE FROM "PendingRefPage"
      WHERE "studioId" = ${who.studioId}::uuid AND "restorePointId" = ${restorePointId}::uuid AND EXISTS (SELECT 1 FROM ins)
    ), ended AS (
      DELETE FROM "UploadSession" WHERE "studioId" = ${who.studioId}::uuid AND "sessionId" = ${restorePointId}::uuid AND EXISTS (SELECT 1 FROM ins)
    )
    SELECT (SELECT count(*) FROM checked)::int AS checked, (SELECT count(*) FROM ins)::int AS inserted, (SELECT ok FROM gc) AS "collectedOk"`,
  ]);
  return result ?? { checked: 0, inserted: 0, collectedOk: true };
}

/**
 * A retried commit (same studio, same manifest root) answers as the first one did; another
 * restore point of the studio under this id is a conflict; null when the studio has none.
 */
async function sameCommitDone(
  ctx: Ctx,
  who: Writer,
  restorePointId: string,
  rootChunkId: Buffer,
): Promise<{ restorePointId: string; created: false } | null> {
  const existing = await committedInStudio(ctx, who.studioId, restorePointId);
  if (!existing) return null;
  if (Buffer.from(existing.rootChunkId).equals(rootChunkId)) return { restorePointId, created: false };
  throw errors.restorePointIdTaken();
}
