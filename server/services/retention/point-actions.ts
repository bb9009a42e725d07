// What people do to restore points and signals (the retention routes; never a device: the route
// table gives these routes people audiences only). Each action takes the studio's retention lock
// (apply.ts lockStudio), changes the row only if it is in the state the action needs, and writes
// its RetentionEvent and audit row in the same transaction. Repeating an action is a no-op
// answered with changed: false, so a retried request is harmless.
//   delete  owner/admin: soft, restorable until deletedAt + grace; never a held point, never the
//           newest live point of its device;
//   undo    owner/support/admin, within the grace;
//   hold    owner/admin: kept until released; release: owner/admin.
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { audit, type Actor, type AuditAction } from "../audit.ts";
import { lockStudio } from "./apply.ts";

export interface PointState {
  restorePointId: string;
  deletedAt: Date | null;
  purgeAt: Date | null;
  heldAt: Date | null;
  changed: boolean;
}

type Action = "delete" | "undo" | "hold" | "release";
const AUDIT: Record<Action, AuditAction> = {
  delete: "restore-point.deleted",
  undo: "restore-point.undeleted",
  hold: "restore-point.held",
  release: "restore-point.released",
};
const EVENT: Record<Action, string> = { delete: "deleted", undo: "undone", hold: "held", release: "released" };

export async function actOnPoint(
  ctx: Ctx,
  actor: Actor,
  o: { studioId: string; restorePointId: string; action: Action; reason?: string },
): Promise<PointState> {
  const now = ctx.clock.now();
  const grace = ctx.config.retention.graceMs;
  const by = actor.label ?? actor.role;
  return ctx.db.$transaction(async (tx) => {
    await lockStudio(tx, o.studioId);
    const p = await tx.restorePoint.findFirst({
      where: { id: o.restorePointId, studioId: o.studioId },
      select: { id: true, deviceId: true, createdAt: true, label: true, deletedAt: true, heldAt: true },
    });
    if (!p) throw errors.notFound("restore point");
    let data: {
      deletedAt?: Date | null;
      deletedBy?: string | null;
      deleteReason?: string | null;
      heldAt?: Date | null;
      heldBy?: string | null;
    };
    switch (o.action) {
      case "delete": {
        if (p.deletedAt) return view(p, grace, false);
        if (p.heldAt) throw errors.conflict("RESTORE_POINT_HELD", "this restore point is on hold: release it first");
        const newer = await tx.restorePoint.count({
          where: { studioId: o.studioId, deviceId: p.deviceId, deletedAt: null, id: { not: p.id }, createdAt: { gte: p.createdAt } },
        });
        if (!newer) throw errors.conflict("LATEST_RESTORE_POINT", "this is the newest restore point of its device: it is never deleted");
        data = { deletedAt: now, deletedBy: by, deleteReason: o.reason ?? "deleted by a person" };
        break;
      }
      case "undo":
        if (!p.deletedAt) return view(p, grace, false);
        if (p.deletedAt.getTime() + grace <= now.getTime())
          throw errors.conflict("GRACE_OVER", "the grace period of this deletion is over");
        data = { deletedAt: null, deletedBy: null, deleteReason: null };
        break;
      case "hold":
        if (p.heldAt) return view(p, grace, false);
        if (p.deletedAt) throw errors.validation("undo the deletion of this restore point before holding it");
        data = { heldAt: now, heldBy: by };
        break;
      case "release":
        if (!p.heldAt) return view(p, grace, false);
        data = { heldAt: null, heldBy: null };
        break;
    }
    const updated = await tx.restorePoint.update({ where: { id: p.id }, data, select: { id: true, deletedAt: true, heldAt: true } });
    await tx.retentionEvent.create({
      data: {
        studioId: o.studioId,
        restorePointId: p.id,
        deviceId: p.deviceId,
        pointCreatedAt: p.createdAt,
        label: p.label,
        at: now,
        action: EVENT[o.action],
        by,
        reason: o.reason ?? null,
      },
    });
    await audit(tx, actor, {
      action: AUDIT[o.action],
      studioId: o.studioId,
      target: p.id,
      ...(o.reason ? { details: { reason: o.reason } } : {}),
    });
    return view(updated, grace, true);
  });
}

function view(p: { id: string; deletedAt: Date | null; heldAt: Date | null }, graceMs: number, changed: boolean): PointState {
  return {
    restorePointId: p.id,
    deletedAt: p.deletedAt,
    purgeAt: p.deletedAt ? new Date(p.deletedAt.getTime() + graceMs) : null,
    heldAt: p.heldAt,
    changed,
  };
}

/** Closes an open signal (owner or admin): retention resumes once none is open. Audited. */
export async function closeSignal(ctx: Ctx, actor: Actor, o: { studioId: string; signalId: string; note: string }): Promise<boolean> {
  return ctx.db.$transaction(async (tx) => {
    await lockStudio(tx, o.studioId);
    const s = await tx.retentionSignal.findFirst({ where: { id: o.signalId, studioId: o.studioId } });
    if (!s) throw errors.notFound("signal");
    if (s.closedAt) return false;
    await tx.retentionSignal.update({
      where: { id: s.id },
      data: { closedAt: ctx.clock.now(), closedBy: actor.label ?? actor.role, closeNote: o.note },
    });
    await audit(tx, actor, {
      action: "retention.signal-closed",
      studioId: o.studioId,
      target: s.id,
      details: { kind: s.kind, note: o.note },
    });
    return true;
  });
}
