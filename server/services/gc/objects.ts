// Objects (docs/garbage-collection.md, step 5). An upload record moves to `dead` in one guarded
// UPDATE, then its object is deleted and `deletedAt` set: a crash in between leaves a dead row
// with deletedAt null, deleted again by the next run (deleting a missing object is not an error).
//   - stored, older than the grace, and no chunk row names its object: every chunk of the pack
//     was collected, or the pack lost every race (a surplus copy);
//   - granted and expired for longer than the margin: never reported, the object may or may not
//     exist. A report racing this UPDATE either moves the record first (and keeps it) or finds it
//     dead (UPLOAD_GONE) or expired: the uploader asks for a new grant.
// Objects of collected chunk rows without an upload record (single-chunk objects written before
// records existed) are deleted as soon as no row names them.
import type { Ctx } from "../../context.ts";
import { BlobLockedError } from "../../storage/index.ts";
import { studioLock } from "./leases.ts";

const BATCH = 500;

export interface ObjectsResult {
  deadUploads: number;
  deletedObjects: number;
  /** Objects whose Object Lock retention has not passed: kept, tried again by a later run. */
  lockedObjects: number;
}

export async function collectObjects(ctx: Ctx, studioId: string, sweptKeys: Set<string>): Promise<ObjectsResult> {
  const now = ctx.clock.now().getTime();
  const storedBefore = new Date(now - ctx.config.gc.graceMs);
  const grantedBefore = new Date(now - ctx.config.gc.grantMarginMs);
  // Under the exclusive studio lock, so that a repack's switch (repack.ts) is either committed
  // before this statement's snapshot (its rows name the new pack: kept) or runs after it and finds
  // its new record dead (no switch). Without the lock, this UPDATE could wait on the switch's row
  // lock and then mark the new pack dead against a snapshot that predates the switch.
  const deadUploads = await ctx.db.$transaction(async (tx) => {
    await tx.$queryRaw`${studioLock(studioId, "exclusive")}`;
    return tx.$executeRaw`
      UPDATE "Upload" u SET state = 'dead', "updatedAt" = ${ctx.clock.now()}::timestamp(3)
      WHERE u."studioId" = ${studioId}::uuid
        AND ((u.state = 'stored' AND u."storedAt" <= ${storedBefore}::timestamp(3))
          OR (u.state = 'granted' AND u."expiresAt" <= ${grantedBefore}::timestamp(3)))
        AND NOT EXISTS (SELECT 1 FROM "Chunk" c WHERE c."objectKey" = u."objectKey")`;
  });
  let deletedObjects = 0;
  let lockedObjects = 0;
  // Object Lock mode: a locked object is not deleted (BlobLockedError, no DELETE sent); its record
  // stays dead with deletedAt null and a later run tries again. Keyset order so none is read twice.
  const remove = async (key: string): Promise<boolean> => {
    try {
      await ctx.blobs.delete(key);
      return true;
    } catch (err) {
      if (!(err instanceof BlobLockedError)) throw err;
      lockedObjects++;
      return false;
    }
  };
  for (let after = ""; ;) {
    const rows = await ctx.db.$queryRaw<Array<{ objectKey: string }>>`
      SELECT "objectKey" FROM "Upload" u
      WHERE u."studioId" = ${studioId}::uuid AND u.state = 'dead' AND u."deletedAt" IS NULL AND u."objectKey" > ${after}
        AND NOT EXISTS (SELECT 1 FROM "Chunk" c WHERE c."objectKey" = u."objectKey")
      ORDER BY u."objectKey" LIMIT ${BATCH}::int`;
    for (const r of rows) {
      if (!(await remove(r.objectKey))) continue;
      await ctx.db.$executeRaw`UPDATE "Upload" SET "deletedAt" = ${ctx.clock.now()}::timestamp(3) WHERE "objectKey" = ${r.objectKey}`;
      deletedObjects++;
    }
    if (rows.length < BATCH) break;
    after = rows.at(-1)!.objectKey;
  }
  for (const key of sweptKeys) {
    const [row] = await ctx.db.$queryRaw<Array<{ named: boolean; recorded: boolean }>>`
      SELECT EXISTS (SELECT 1 FROM "Chunk" WHERE "objectKey" = ${key}) AS named,
             EXISTS (SELECT 1 FROM "Upload" WHERE "objectKey" = ${key}) AS recorded`;
    if (row && !row.named && !row.recorded && (await remove(key))) deletedObjects++;
  }
  return { deadUploads, deletedObjects, lockedObjects };
}
