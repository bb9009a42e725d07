// Operator operations on devices (datasafe-admin list-devices, revoke-device). Revocation is the
// first step after a studio PC is stolen: the device's next request fails within
// DEVICE_CACHE_TTL_MS (device-auth.ts), and it can no longer renew its token (device-tokens.ts).
// Nothing is deleted: its restore points stay restorable and the row keeps who revoked it and why.
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import { listDevices } from "./heartbeats.ts";

export interface AdminDeviceView {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
  lastSeenAt: string | null;
  lastResult: string | null;
}

export async function listStudioDevices(ctx: Ctx, studioId: string): Promise<AdminDeviceView[]> {
  const studio = await ctx.db.studio.findUnique({ where: { id: studioId }, select: { id: true } });
  if (!studio) throw errors.notFound("studio");
  return (await listDevices(ctx, studioId)).map((d) => ({
    id: d.id,
    name: d.name,
    createdAt: d.createdAt.toISOString(),
    revokedAt: d.revokedAt?.toISOString() ?? null,
    revokedReason: d.revokedReason,
    lastSeenAt: d.heartbeat?.receivedAt.toISOString() ?? null,
    lastResult: d.heartbeat?.lastResult ?? null,
  }));
}

/** Revokes a device; revoking it again keeps the first time and reason. */
export async function revokeDevice(ctx: Ctx, input: { deviceId: string; reason: string }): Promise<{ deviceId: string; revokedAt: string; revokedReason: string | null; alreadyRevoked: boolean }> {
  const reason = input.reason.trim();
  if (!reason || reason.length > 500) throw errors.validation("reason must be 1-500 characters");
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.deviceId)) throw errors.notFound("device");
  const now = new Date();
  const revoked = await ctx.db.device.updateMany({
    where: { id: input.deviceId, revokedAt: null },
    data: { revokedAt: now, revokedReason: reason },
  });
  const device = await ctx.db.device.findUnique({ where: { id: input.deviceId } });
  if (!device?.revokedAt) throw errors.notFound("device");
  return { deviceId: device.id, revokedAt: device.revokedAt.toISOString(), revokedReason: device.revokedReason, alreadyRevoked: revoked.count === 0 };
}
