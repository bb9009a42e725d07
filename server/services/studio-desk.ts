// The studio summary support reads while the customer is on the phone (and the owner's first
// screen): latest restore point, latest verified one, time since the last backup, each device with
// its latest heartbeat and newest run, storage used (Studio.storedBytes, a counter kept by
// triggers), open alerts and recent restore points with health.
//
// Also the uploader release the server hosts, so support sees which devices are behind it.
//
// Two raw queries in parallel, each a handful of index probes: the recent restore points
// (restore-points.ts; the newest is the latest), and everything else as one JSON document built
// by Postgres. The first version ran six Prisma queries in parallel: the database answered each in
// ~0.1 ms, but six trips through Prisma's query compiler and six result decodings made the call
// ~12 ms at p50 on a loaded machine (test/bench/lookup.ts), where one raw query takes ~1 ms.
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import type { LastRun } from "./device-runs.ts";
import type { DeviceWithHeartbeat } from "./heartbeats.ts";
import { currentRelease } from "./releases.ts";
import { listRestorePoints, type RestorePointRow } from "./restore-points.ts";

export const RECENT_RESTORE_POINTS = 10;
export const OPEN_ALERTS_SHOWN = 20;

export interface StudioDesk {
  studio: { id: string; name: string; ownerEmail: string; storedBytes: bigint; hasKeys: boolean; createdAt: Date };
  recent: RestorePointRow[];
  latestVerified: { id: string; createdAt: Date; verifiedAt: Date | null } | null;
  devices: DeviceWithHeartbeat[];
  /** Each device's newest reported run (device-runs.ts), by device id. */
  lastRuns: Map<string, LastRun>;
  openAlerts: Array<{ id: string; kind: string; restorePointId: string | null; createdAt: Date }>;
  /** The uploader release the server hosts (releases.ts), to tell which devices are behind it. */
  release: { version: string; signedAt: Date } | null;
}

/** Timestamps as json_build_object writes a `timestamp(3)` column: UTC without a zone. */
type Stamp = string;
interface DeskJson {
  studio: Omit<StudioDesk["studio"], "storedBytes" | "createdAt"> & { storedBytes: string; createdAt: Stamp };
  latestVerified: { id: string; createdAt: Stamp; verifiedAt: Stamp | null } | null;
  devices: Array<{
    id: string;
    name: string;
    createdAt: Stamp;
    revokedAt: Stamp | null;
    heartbeat: Record<keyof NonNullable<DeviceWithHeartbeat["heartbeat"]>, string | null> | null;
    lastRun: {
      id: string;
      trigger: string;
      startedAt: Stamp;
      finishedAt: Stamp | null;
      result: string | null;
      errorCode: string | null;
    } | null;
  }>;
  openAlerts: Array<{ id: string; kind: string; restorePointId: string | null; createdAt: Stamp }>;
}

export async function studioDesk(ctx: Ctx, studioId: string): Promise<StudioDesk> {
  const [desk, recent, release] = await Promise.all([
    readDesk(ctx, studioId),
    listRestorePoints(ctx, studioId, { limit: RECENT_RESTORE_POINTS }),
    currentRelease(ctx),
  ]);
  if (!desk) throw errors.notFound("studio");
  const { studio, latestVerified, devices, openAlerts } = desk;
  return {
    studio: { ...studio, storedBytes: BigInt(studio.storedBytes), createdAt: at(studio.createdAt) },
    recent,
    latestVerified: latestVerified && {
      id: latestVerified.id,
      createdAt: at(latestVerified.createdAt),
      verifiedAt: maybeAt(latestVerified.verifiedAt),
    },
    devices: devices.map((d) => ({
      id: d.id,
      name: d.name,
      createdAt: at(d.createdAt),
      revokedAt: maybeAt(d.revokedAt),
      heartbeat: d.heartbeat && {
        receivedAt: at(d.heartbeat.receivedAt!),
        agentVersion: d.heartbeat.agentVersion!,
        os: d.heartbeat.os!,
        state: d.heartbeat.state!,
        nextRunAt: maybeAt(d.heartbeat.nextRunAt),
        lastRunAt: maybeAt(d.heartbeat.lastRunAt),
        lastResult: d.heartbeat.lastResult,
        lastErrorCode: d.heartbeat.lastErrorCode,
        lastRestorePointId: d.heartbeat.lastRestorePointId,
        lastSuccessAt: maybeAt(d.heartbeat.lastSuccessAt),
      },
    })),
    lastRuns: new Map(
      devices.flatMap(({ id, lastRun: r }) =>
        r ? [[id, { ...r, deviceId: id, startedAt: at(r.startedAt), finishedAt: maybeAt(r.finishedAt) }] as const] : [],
      ),
    ),
    openAlerts: openAlerts.map((a) => ({ ...a, createdAt: at(a.createdAt) })),
    release: release && { version: release.version, signedAt: new Date(release.signedAt) },
  };
}

const at = (stamp: Stamp) => new Date(`${stamp}Z`);
const maybeAt = (stamp: Stamp | null) => (stamp === null ? null : at(stamp));

/**
 * The studio row, the latest verified restore point (RestorePoint(studioId, health, createdAt)),
 * the devices with their heartbeat and newest run (DeviceRun(deviceId, startedAt desc)), and the
 * newest open alerts, as one document; null when the studio does not exist.
 */
async function readDesk(ctx: Ctx, studioId: string): Promise<DeskJson | null> {
  const [row] = await ctx.db.$queryRaw<Array<{ desk: DeskJson }>>`
    SELECT json_build_object(
      'studio', json_build_object('id', s.id, 'name', s.name, 'ownerEmail', s."ownerEmail",
                                  'storedBytes', s."storedBytes"::text, 'hasKeys', s.keyset IS NOT NULL, 'createdAt', s."createdAt"),
      'latestVerified', (
        SELECT json_build_object('id', r.id, 'createdAt', r."createdAt", 'verifiedAt', r."verifiedAt")
        FROM "RestorePoint" r WHERE r."studioId" = s.id AND r.health = 'verified'
        ORDER BY r."createdAt" DESC, r.id DESC LIMIT 1),
      'devices', (
        SELECT coalesce(json_agg(json_build_object(
                 'id', d.id, 'name', d.name, 'createdAt', d."createdAt", 'revokedAt', d."revokedAt",
                 'heartbeat', CASE WHEN h."deviceId" IS NULL THEN NULL ELSE json_build_object(
                   'receivedAt', h."receivedAt", 'agentVersion', h."agentVersion", 'os', h.os, 'state', h.state,
                   'nextRunAt', h."nextRunAt", 'lastRunAt', h."lastRunAt", 'lastResult', h."lastResult",
                   'lastErrorCode', h."lastErrorCode", 'lastRestorePointId', h."lastRestorePointId",
                   'lastSuccessAt', h."lastSuccessAt") END,
                 'lastRun', (
                   SELECT json_build_object('id', x.id, 'trigger', x.trigger, 'startedAt', x."startedAt",
                                            'finishedAt', x."finishedAt", 'result', x.result, 'errorCode', x."errorCode")
                   FROM "DeviceRun" x WHERE x."deviceId" = d.id ORDER BY x."startedAt" DESC LIMIT 1)
               ) ORDER BY d."createdAt", d.id), '[]'::json)
        FROM "Device" d LEFT JOIN "DeviceHeartbeat" h ON h."deviceId" = d.id
        WHERE d."studioId" = s.id),
      'openAlerts', (
        SELECT coalesce(json_agg(a ORDER BY a."createdAt" DESC), '[]'::json) FROM (
          SELECT id, kind, "restorePointId", "createdAt" FROM "Alert"
          WHERE "studioId" = s.id AND "resolvedAt" IS NULL
          ORDER BY "createdAt" DESC LIMIT ${OPEN_ALERTS_SHOWN}) a)
    ) AS desk
    FROM "Studio" s WHERE s.id = ${studioId}::uuid`;
  return row?.desk ?? null;
}
