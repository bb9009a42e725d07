// What leaves the API: ids in hex, dates in ISO 8601, sizes as numbers.
import type { RestorePointRow } from "../services/restore-points.ts";
import type { RestorePointView } from "./schemas.ts";

export function presentRestorePoint(row: RestorePointRow): RestorePointView {
  return {
    id: row.id,
    createdAt: row.createdAt.toISOString(),
    label: row.label,
    files: row.files,
    bytes: Number(row.bytes),
    deviceId: row.deviceId,
    deviceName: row.device.name,
    rootChunkId: Buffer.from(row.rootChunkId).toString("hex"),
    refCount: row.refCount,
    skipped: row.skipped,
    health: row.health,
    verifiedAt: row.verifiedAt?.toISOString() ?? null,
    damagedChunks: row.damagedChunks,
    clientVerification: row.clientVerifiedAt ? { at: row.clientVerifiedAt.toISOString(), ok: row.clientVerifyOk === true } : null,
  };
}
