// The audit log (AuditEvent, append-only: a trigger refuses UPDATE, DELETE and TRUNCATE). Who
// did what to which studio, from where. Written in the same transaction as the action when there
// is one (pass `tx`), so an action and its record stand or fall together.
import type { Ctx } from "../context.ts";
import type { Prisma } from "../db.ts";

export type ActorRole = "anonymous" | "device" | "owner" | "support" | "admin" | "operator";

export interface Actor {
  id: string | null;
  role: ActorRole;
  /** The e-mail address or device name as it is now: readers see it even once the actor is gone. */
  label: string | null;
  address?: string | null;
}

/** datasafe-admin on the server host. */
export const OPERATOR: Actor = { id: null, role: "operator", label: "datasafe-admin", address: null };

export type AuditAction =
  | "sign-in"
  | "sign-in.failed"
  | "session.revoked"
  | "refresh-token.reused"
  | "invitation.created"
  | "invitation.accepted"
  | "password-reset.created"
  | "password.changed"
  | "role.changed"
  | "studio.created"
  | "enrollment-token.created"
  | "device.enrolled"
  | "device.revoked"
  | "support.lookup"
  | "totp.enabled"
  | "totp.reset"
  | "recovery-code.used"
  | "retention.policy-changed"
  | "restore-point.deleted"
  | "restore-point.undeleted"
  | "restore-point.held"
  | "restore-point.released"
  | "retention.signal-closed"
  | "studio.quota.set"
  | "alert-settings.changed"
  | "webhook-secret.rotated"
  | "alert.resent"
  | "alert.snoozed";

export interface AuditEntry {
  action: AuditAction;
  studioId?: string | null;
  target?: string | null;
  details?: Prisma.InputJsonValue;
}

type Writer = Pick<Ctx["db"], "auditEvent">;

export async function audit(db: Writer, actor: Actor, entry: AuditEntry): Promise<void> {
  await auditCreate(actor, entry, db);
}

/** The insert itself, for a batch transaction (`db.$transaction([write, auditCreate(...)])`). */
export function auditCreate(actor: Actor, entry: AuditEntry, db: Writer) {
  return db.auditEvent.create({
    data: {
      actorId: actor.id,
      actorRole: actor.role,
      actorLabel: actor.label,
      address: actor.address ?? null,
      studioId: entry.studioId ?? null,
      action: entry.action,
      target: entry.target ?? null,
      ...(entry.details === undefined ? {} : { details: entry.details }),
    },
  });
}

export interface AuditEventView {
  id: string;
  at: string;
  actorId: string | null;
  actorRole: string;
  actorLabel: string | null;
  studioId: string | null;
  action: string;
  target: string | null;
  address: string | null;
  details: unknown;
}

/** Newest first; one studio's or all of them (studioId undefined), from `since` on. */
export async function listAudit(ctx: Ctx, q: { studioId?: string; since?: Date; limit: number }): Promise<AuditEventView[]> {
  const rows = await ctx.db.auditEvent.findMany({
    where: { ...(q.studioId ? { studioId: q.studioId } : {}), ...(q.since ? { at: { gte: q.since } } : {}) },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: q.limit,
  });
  return rows.map((r) => ({
    id: r.id.toString(),
    at: r.at.toISOString(),
    actorId: r.actorId,
    actorRole: r.actorRole,
    actorLabel: r.actorLabel,
    studioId: r.studioId,
    action: r.action,
    target: r.target,
    address: r.address,
    details: r.details ?? null,
  }));
}
