// The statements on upload records (prisma/schema.prisma, model Upload: granted -> stored ->
// dead), as raw SQL with hex in and out like chunk-row.ts. Every object the API lets a device
// store gets its row before the device can write it (a grant) or as it is stored (a relayed
// pack); a report is matched against the row, never against the shape of a key.
import type { Ctx } from "../context.ts";
import type { Sql } from "./chunk-row.ts";

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
  await insertUpload(ctx.db, u, "granted");
}

/** Records a relayed pack as stored (in the transaction that inserts its chunk rows). */
export async function insertStored(db: Sql, u: NewUpload): Promise<void> {
  await insertUpload(db, u, "stored");
}

async function insertUpload(db: Sql, u: NewUpload, state: "granted" | "stored"): Promise<void> {
  await db.$executeRaw`
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
 * granted -> stored, for the device it was granted to and only before it expires: true if this
 * call moved it. Run in the transaction that inserts the pack's chunk rows, so a row is stored
 * exactly when its chunks are recorded.
 */
export async function markStored(db: Sql, objectKey: string, deviceId: string): Promise<boolean> {
  const n = await db.$executeRaw`
    UPDATE "Upload" SET state = 'stored', "storedAt" = now() AT TIME ZONE 'UTC', "updatedAt" = now() AT TIME ZONE 'UTC'
    WHERE "objectKey" = ${objectKey} AND "deviceId" = ${deviceId}::uuid AND state = 'granted' AND "expiresAt" > now() AT TIME ZONE 'UTC'`;
  return n === 1;
}
