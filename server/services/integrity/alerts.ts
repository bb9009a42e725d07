// Alerts the studio and support must see. At most one open alert per subject: `openKey` is
// unique per studio while the alert is open and cleared when it is resolved, so racing workers
// raising the same alert create one row.
import type { Ctx } from "../../context.ts";
import type { Prisma } from "../../db.ts";

export const DAMAGED = "restore_point_damaged";

export async function raiseDamageAlert(ctx: Ctx, studioId: string, restorePointId: string, details: Prisma.InputJsonValue): Promise<void> {
  const created = await ctx.db.alert.createMany({
    data: [{ studioId, kind: DAMAGED, restorePointId, details, openKey: `${DAMAGED}:${restorePointId}` }],
    skipDuplicates: true,
  });
  if (created.count) ctx.log.error({ studioId, restorePointId, details }, "restore point damaged: alert raised");
}

export async function resolveDamageAlert(ctx: Ctx, studioId: string, restorePointId: string): Promise<void> {
  await ctx.db.alert.updateMany({
    where: { studioId, openKey: `${DAMAGED}:${restorePointId}` },
    data: { openKey: null, resolvedAt: new Date() },
  });
}
