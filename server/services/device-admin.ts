// Operations on devices by people: datasafe-admin list-devices and revoke-device, and owners and
// staff through the API (always within the studio in the path). Revocation is the
// first step after a studio PC is stolen: the device's next request fails within
// DEVICE_CACHE_TTL_MS (device-auth.ts), and it can no longer renew its token (device-tokens.ts).
// Nothing is deleted: its restore points stay restorable and the row keeps who revoked it and why.
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import { isStaffRevocation, writeRevocationNotice } from "./alerts/revocation-notice.ts";
import { audit, type Actor } from "./audit.ts";
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

/**
 * Revokes a device; revoking it again keeps the first time and reason. With `studioId`, a device
 * of another studio is not found. Support must give a reason: "please disable our old PC" is
 * exactly what a social engineer asks, so it is written down, audited, and the owners see it
 * in their studio's audit log, and a revocation by staff is mailed to them at once
 * (alerts/revocation-notice.ts, in this transaction).
 */
export async function revokeDevice(
  ctx: Ctx,
  actor: Actor,
  input: { deviceId: string; reason: string | undefined; studioId?: string },
): Promise<{ deviceId: string; revokedAt: string; revokedReason: string | null; alreadyRevoked: boolean }> {
  const reason = input.reason?.trim() ?? "";
  if (reason.length > 500) throw errors.validation("reason must be at most 500 characters");
  if (!reason && (actor.role === "support" || actor.role === "operator"))
    throw errors.validation("reason: required (it is kept with the device and shown to the owners)");
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.deviceId)) throw errors.notFound("device");
  const scope = { id: input.deviceId, ...(input.studioId ? { studioId: input.studioId } : {}) };
  return ctx.db.$transaction(async (tx) => {
    const now = ctx.clock.now();
    const revoked = await tx.device.updateMany({
      where: { ...scope, revokedAt: null },
      data: { revokedAt: now, revokedReason: reason || null },
    });
    const device = await tx.device.findFirst({ where: scope });
    if (!device?.revokedAt) throw errors.notFound("device");
    if (revoked.count) {
      await audit(tx, actor, {
        action: "device.revoked",
        studioId: device.studioId,
        target: device.id,
        details: { name: device.name, reason: reason || null },
      });
      if (isStaffRevocation(actor)) await writeRevocationNotice(tx, ctx, actor, device, now, reason || null);
    }
    return {
      deviceId: device.id,
      revokedAt: device.revokedAt.toISOString(),
      revokedReason: device.revokedReason,
      alreadyRevoked: revoked.count === 0,
    };
  });
}
