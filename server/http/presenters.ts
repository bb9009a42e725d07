// What leaves the API: ids in hex, dates in ISO 8601, sizes as numbers.
import type { StudioDeskView } from "../../protocol/people.ts";
import { isBehind } from "../../protocol/release.ts";
import type { RestorePointRow } from "../services/restore-points.ts";
import type { StudioDesk } from "../services/studio-desk.ts";
import type { DeviceWithHeartbeat } from "../services/heartbeats.ts";
import type { DeviceView, RestorePointView } from "../../protocol/schemas.ts";
import { presentLastRun } from "./run-presenters.ts";
import type { PlanDecision } from "../services/retention/plan.ts";

function presentRetention(d: PlanDecision): Pick<RestorePointView, "expiresAt" | "keptBecause" | "deletedAt" | "purgeAt"> {
  return {
    // Not kept (keptBecause empty, not deleted): the next retention run deletes it.
    expiresAt: d.decision === "keep" ? (d.expiresAt?.toISOString() ?? null) : null,
    keptBecause: d.reasons.map((r) => r.reason),
    deletedAt: d.point.deletedAt?.toISOString() ?? null,
    purgeAt: d.purgeAt?.toISOString() ?? null,
  };
}

/** `retention`: the point's decision in its studio's plan (the lists show it). */
export function presentRestorePoint(row: RestorePointRow, retention?: PlanDecision): RestorePointView {
  return {
    ...(retention ? presentRetention(retention) : {}),
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
    repairUnconfirmedSince: row.repairUnconfirmedAt?.toISOString() ?? null,
  };
}

export function presentDevice(row: DeviceWithHeartbeat): DeviceView {
  const h = row.heartbeat;
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    revoked: row.revokedAt !== null,
    heartbeat: h && {
      receivedAt: h.receivedAt.toISOString(),
      agentVersion: h.agentVersion,
      os: h.os,
      state: h.state,
      nextRunAt: iso(h.nextRunAt),
      lastRunAt: iso(h.lastRunAt),
      lastResult: h.lastResult,
      lastErrorCode: h.lastErrorCode,
      lastRestorePointId: h.lastRestorePointId,
      lastSuccessAt: iso(h.lastSuccessAt),
    },
  };
}

/** Whether a device runs an older uploader than the hosted release, and since that release came out. */
function presentUpdate(device: DeviceWithHeartbeat, release: StudioDesk["release"]): StudioDeskView["devices"][number]["update"] {
  const behind = release && device.heartbeat ? isBehind(device.heartbeat.agentVersion, release.version) : null;
  return behind === null || !release ? null : { behind, since: behind ? release.signedAt.toISOString() : null };
}

export function presentStudioDesk(d: StudioDesk, now: Date): StudioDeskView {
  const recent = d.recent.map((r) => presentRestorePoint(r));
  const last = d.recent[0]?.createdAt ?? null;
  return {
    studioId: d.studio.id,
    name: d.studio.name,
    ownerEmail: d.studio.ownerEmail,
    createdAt: d.studio.createdAt.toISOString(),
    hasKeys: d.studio.hasKeys,
    storedBytes: Number(d.studio.storedBytes),
    latest: recent[0] ?? null,
    latestVerified: d.latestVerified && {
      id: d.latestVerified.id,
      createdAt: d.latestVerified.createdAt.toISOString(),
      verifiedAt: d.latestVerified.verifiedAt?.toISOString() ?? null,
    },
    lastBackupAt: last?.toISOString() ?? null,
    secondsSinceLastBackup: last ? Math.max(0, Math.floor((now.getTime() - last.getTime()) / 1000)) : null,
    devices: d.devices.map((x) => ({
      ...presentDevice(x),
      lastRun: presentLastRun(d.lastRuns.get(x.id)),
      update: presentUpdate(x, d.release),
    })),
    release: d.release && { version: d.release.version, publishedAt: d.release.signedAt.toISOString() },
    openAlerts: d.openAlerts.map((a) => ({
      id: a.id,
      kind: a.kind,
      restorePointId: a.restorePointId,
      createdAt: a.createdAt.toISOString(),
    })),
    recentRestorePoints: recent,
    serverTime: now.toISOString(),
  };
}
