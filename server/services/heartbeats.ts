// Agent heartbeats: the latest one per device, replaced on each call, and the studio's devices
// with it. Separate from restore points on purpose: "PC off" shows as an old receivedAt,
// "backup failing" as a fresh heartbeat whose lastResult is "failed".
import type { Ctx } from "../context.ts";
import type { HeartbeatBody } from "../../protocol/schemas.ts";
import type { Writer } from "./restore-points.ts";

const date = (iso: string | null) => (iso ? new Date(iso) : null);

/** Records the device's heartbeat; receivedAt is the server's clock (a PC's clock may be wrong). */
export async function recordHeartbeat(ctx: Ctx, who: Writer, body: HeartbeatBody): Promise<{ receivedAt: Date }> {
  const receivedAt = ctx.clock.now();
  const fields = {
    studioId: who.studioId,
    receivedAt,
    agentVersion: body.agentVersion,
    os: body.os,
    state: body.state,
    nextRunAt: date(body.nextRunAt),
    lastRunAt: date(body.lastRun?.at ?? null),
    lastResult: body.lastRun?.result ?? null,
    lastErrorCode: body.lastRun?.errorCode ?? null,
    lastRestorePointId: body.lastRun?.restorePointId ?? null,
    lastSuccessAt: date(body.lastSuccessAt),
  };
  await ctx.db.deviceHeartbeat.upsert({
    where: { deviceId: who.deviceId },
    create: { deviceId: who.deviceId, ...fields },
    update: fields,
  });
  return { receivedAt };
}

/** The studio's devices (revoked ones included, so support sees them), oldest first. */
export async function listDevices(ctx: Ctx, studioId: string) {
  return ctx.db.device.findMany({
    where: { studioId },
    orderBy: { createdAt: "asc" },
    include: { heartbeat: true },
  });
}

export type DeviceRow = Awaited<ReturnType<typeof listDevices>>[number];

/** What the presenters read of a device and its heartbeat (a DeviceRow, or the studio desk's). */
export interface DeviceWithHeartbeat {
  id: string;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
  heartbeat: {
    receivedAt: Date;
    agentVersion: string;
    os: string;
    state: string;
    nextRunAt: Date | null;
    lastRunAt: Date | null;
    lastResult: string | null;
    lastErrorCode: string | null;
    lastRestorePointId: string | null;
    lastSuccessAt: Date | null;
  } | null;
}
