// Restore point damaged: raised and resolved by the integrity checks themselves (not by the
// alert evaluation job); delivered like every alert (services/alerts/).
import type { Ctx } from "../../context.ts";
import type { Prisma } from "../../db.ts";
import { ALERT } from "../alerts/kinds.ts";
import { openKeyOf, raiseAlerts, resolveAlerts } from "../alerts/raise.ts";

export const DAMAGED = ALERT.damaged;

export async function raiseDamageAlert(ctx: Ctx, studioId: string, restorePointId: string, details: Prisma.InputJsonValue): Promise<void> {
  const rp = await ctx.db.restorePoint.findUnique({ where: { id: restorePointId }, select: { deviceId: true } });
  const created = await raiseAlerts(ctx, [
    { studioId, kind: DAMAGED, subject: restorePointId, restorePointId, deviceId: rp?.deviceId ?? null, details },
  ]);
  if (created) ctx.log.error({ studioId, restorePointId, details }, "restore point damaged: alert raised");
}

export async function resolveDamageAlert(ctx: Ctx, studioId: string, restorePointId: string): Promise<void> {
  await resolveAlerts(ctx, studioId, [openKeyOf(DAMAGED, restorePointId)]);
}
