// Opening and resolving alerts. At most one open alert per subject: `openKey` ("<kind>:<subject>")
// is unique per studio while the alert is open and cleared when it is resolved, so several
// workers raising the same alert create one row (createMany .. skipDuplicates is INSERT .. ON
// CONFLICT DO NOTHING). Times come from ctx.clock: escalation and the rate limit read them.
import type { Ctx } from "../../context.ts";
import type { Prisma } from "../../db.ts";

export interface RaiseInput {
  /** Null: an operator alert about the whole deployment (a partial unique index keeps it single). */
  studioId: string | null;
  kind: string;
  /** What the alert is about, unique within the kind: a device id, a restore point id, a channel. */
  subject: string;
  deviceId?: string | null;
  restorePointId?: string | null;
  details: Prisma.InputJsonValue;
  /** Operator alerts go to support's queue at once. */
  escalate?: boolean;
}

export const openKeyOf = (kind: string, subject: string) => `${kind}:${subject}`;

/** Opens the alerts not open yet; returns how many were opened by this call. */
export async function raiseAlerts(ctx: Ctx, inputs: RaiseInput[]): Promise<number> {
  if (!inputs.length) return 0;
  const now = ctx.clock.now();
  const created = await ctx.db.alert.createMany({
    data: inputs.map((a) => ({
      studioId: a.studioId,
      kind: a.kind,
      openKey: openKeyOf(a.kind, a.subject),
      deviceId: a.deviceId ?? null,
      restorePointId: a.restorePointId ?? null,
      details: a.details,
      createdAt: now,
      escalatedAt: a.escalate ? now : null,
    })),
    skipDuplicates: true,
  });
  return created.count;
}

/** Resolves the open alerts with these open keys in one studio (null: the deployment's). */
export async function resolveAlerts(ctx: Ctx, studioId: string | null, openKeys: string[]): Promise<number> {
  if (!openKeys.length) return 0;
  const r = await ctx.db.alert.updateMany({
    where: { studioId, openKey: { in: openKeys } },
    data: { openKey: null, resolvedAt: ctx.clock.now() },
  });
  return r.count;
}

/**
 * The evaluators' step: of the open alerts of `kind` on `scope` (the subjects this evaluation
 * looked at), resolves those whose subject is not in `firing`, and raises the firing ones.
 */
export async function reconcile(
  ctx: Ctx,
  kind: string,
  scope: Prisma.AlertWhereInput,
  firing: RaiseInput[],
): Promise<{ raised: number; resolved: number }> {
  const open = await ctx.db.alert.findMany({ where: { ...scope, kind, resolvedAt: null }, select: { studioId: true, openKey: true } });
  const want = new Set(firing.map((f) => `${f.studioId ?? ""}/${openKeyOf(kind, f.subject)}`));
  const stale = new Map<string, string[]>();
  for (const a of open) {
    const studio = a.studioId ?? "";
    if (a.openKey && !want.has(`${studio}/${a.openKey}`)) stale.set(studio, [...(stale.get(studio) ?? []), a.openKey]);
  }
  let resolved = 0;
  for (const [studioId, keys] of stale) resolved += await resolveAlerts(ctx, studioId || null, keys);
  const raised = await raiseAlerts(ctx, firing);
  return { raised, resolved };
}
