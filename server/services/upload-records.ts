// The statements on upload records (prisma/schema.prisma, model Upload: granted -> stored ->
// dead), as raw SQL with hex in and out like upload-chunk-rows.ts. Every object the API lets a device
// store gets its row before the device can write it (a grant) or as it is stored (a relayed
// pack); a report is matched against the row, never against the shape of a key.
//
// A record changes state in the statement that inserts its pack's chunk rows (a data-modifying
// CTE in front of upload-chunk-rows.ts's INSERT): atomic without an interactive transaction, whose
// connection wait and timeout would turn a busy database into 500s, and one round trip.
import type { Ctx } from "../context.ts";
import { Prisma } from "../db.ts";
import { insertChunkRows, type NewChunkRow } from "./upload-chunk-rows.ts";

export interface UploadRecord {
  objectKey: string;
  studioId: string;
  deviceId: string;
  sessionId: string;
  size: number;
  sha256Hex: string;
  tableSha256Hex: string;
  state: "granted" | "stored" | "dead";
  expiresAt: Date | null;
}

export type NewUpload = Omit<UploadRecord, "state">;

/** A record as read back: with whether its grant has expired (by the database's clock). */
export type ReadUpload = Omit<UploadRecord, "expiresAt"> & { expired: boolean };

/** Records a grant: `deviceId` may PUT this object until `expiresAt`, and then report it. */
export async function insertGrant(ctx: Ctx, u: NewUpload & { expiresAt: Date }): Promise<void> {
  await ctx.db.$executeRaw`${insertUpload(u, "granted")}`;
}

/** Records a relayed pack, already stored, together with its chunk rows: the ids inserted. */
export async function insertStoredWithChunks(ctx: Ctx, u: NewUpload, rows: Array<Omit<NewChunkRow, "studioId">>): Promise<Set<string>> {
  return insertChunkRows(ctx, u.studioId, rows, { with: Prisma.sql`WITH up AS (${insertUpload(u, "stored")} RETURNING 1)` });
}

function insertUpload(u: NewUpload, state: "granted" | "stored"): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "Upload" (id, "objectKey", "studioId", "deviceId", "sessionId", size, sha256, "tableSha256", state, "expiresAt", "createdAt", "storedAt", "updatedAt")
    VALUES (gen_random_uuid(), ${u.objectKey}, ${u.studioId}::uuid, ${u.deviceId}::uuid, ${u.sessionId}::uuid, ${u.size},
            decode(${u.sha256Hex}, 'hex'), decode(${u.tableSha256Hex}, 'hex'), ${state}::"UploadState", ${u.expiresAt}::timestamp,
            now() AT TIME ZONE 'UTC', CASE WHEN ${state} = 'stored' THEN now() AT TIME ZONE 'UTC' END, now() AT TIME ZONE 'UTC')`;
}

/** The record of an object key, or null. */
export async function uploadOf(ctx: Ctx, objectKey: string): Promise<ReadUpload | null> {
  const [row] = await ctx.db.$queryRaw<ReadUpload[]>`
    SELECT "objectKey", "studioId"::text AS "studioId", "deviceId"::text AS "deviceId", "sessionId"::text AS "sessionId", size,
           encode(sha256, 'hex') AS "sha256Hex", encode("tableSha256", 'hex') AS "tableSha256Hex", state::text AS state,
           coalesce("expiresAt" <= now() AT TIME ZONE 'UTC', false) AS expired
    FROM "Upload" WHERE "objectKey" = ${objectKey}`;
  return row ?? null;
}

/**
 * granted -> stored, for the device it was granted to and only before it expires, in the
 * statement that inserts the pack's chunk rows (only if the record moved): the ids inserted. An
 * empty answer is either a record that did not move (expired, or moved by a concurrent report of
 * the same upload) or a pack whose chunks the studio held already: the caller reads the record.
 */
export async function markStoredWithChunks(
  ctx: Ctx,
  o: { objectKey: string; deviceId: string; studioId: string },
  rows: Array<Omit<NewChunkRow, "studioId">>,
): Promise<Set<string>> {
  const claim = Prisma.sql`WITH claimed AS (
    UPDATE "Upload" SET state = 'stored', "storedAt" = now() AT TIME ZONE 'UTC', "updatedAt" = now() AT TIME ZONE 'UTC'
    WHERE "objectKey" = ${o.objectKey} AND "deviceId" = ${o.deviceId}::uuid AND state = 'granted' AND "expiresAt" > now() AT TIME ZONE 'UTC'
    RETURNING 1)`;
  return insertChunkRows(ctx, o.studioId, rows, { with: claim, gate: "claimed" });
}
