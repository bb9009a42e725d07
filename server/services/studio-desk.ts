// The studio summary support reads while the customer is on the phone (and the owner's first
// screen): latest restore point, latest verified one, time since the last backup, each device with
// its latest heartbeat, storage used (Studio.storedBytes, a counter kept by triggers), open alerts
// and recent restore points with health. Index lookups only, run in parallel:
//   studio row; RestorePoint (studioId, createdAt desc) for the recent ones (the newest is the
//   latest); RestorePoint (studioId, health, createdAt desc) for the latest verified; devices and
//   heartbeats by studio; open alerts by (studioId, createdAt desc); each device's newest run by
//   DeviceRun (deviceId, startedAt desc).
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import { lastRuns, type LastRun } from "./device-runs.ts";
import { listDevices, type DeviceRow } from "./heartbeats.ts";
import { listRestorePoints, type RestorePointRow } from "./restore-points.ts";

export const RECENT_RESTORE_POINTS = 10;
export const OPEN_ALERTS_SHOWN = 20;

export interface StudioDesk {
  studio: { id: string; name: string; ownerEmail: string; storedBytes: bigint; hasKeys: boolean; createdAt: Date };
  recent: RestorePointRow[];
  latestVerified: { id: string; createdAt: Date; verifiedAt: Date | null } | null;
  devices: DeviceRow[];
  /** Each device's newest reported run (device-runs.ts), by device id. */
  lastRuns: Map<string, LastRun>;
  openAlerts: Array<{ id: string; kind: string; restorePointId: string | null; createdAt: Date }>;
}

export async function studioDesk(ctx: Ctx, studioId: string): Promise<StudioDesk> {
  const [studio, recent, latestVerified, devices, openAlerts, runs] = await Promise.all([
    ctx.db.studio.findUnique({
      where: { id: studioId },
      select: { id: true, name: true, ownerEmail: true, storedBytes: true, keyset: true, createdAt: true },
    }),
    listRestorePoints(ctx, studioId, { limit: RECENT_RESTORE_POINTS }),
    ctx.db.restorePoint.findFirst({
      where: { studioId, health: "verified" },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { id: true, createdAt: true, verifiedAt: true },
    }),
    listDevices(ctx, studioId),
    ctx.db.alert.findMany({
      where: { studioId, resolvedAt: null },
      orderBy: { createdAt: "desc" },
      take: OPEN_ALERTS_SHOWN,
      select: { id: true, kind: true, restorePointId: true, createdAt: true },
    }),
    lastRuns(ctx, studioId),
  ]);
  if (!studio) throw errors.notFound("studio");
  const { keyset, ...rest } = studio;
  return { studio: { ...rest, hasKeys: keyset !== null }, recent, latestVerified, devices, lastRuns: runs, openAlerts };
}
