// A studio's retention plan as of ctx.clock: its restore points, policy and signals read from
// Postgres, handed to the pure plan (plan.ts). The list routes, the preview and apply-retention
// read it from here, so they all say the same thing.
//
// A point is suspect when its device had a signal covering its commit time: from the signal's
// `since` until it was closed (or on, while open). Any open signal pauses the whole studio.
import type { RetentionPolicyValues } from "../../../protocol/retention.ts";
import type { Ctx } from "../../context.ts";
import { planRetention, type PlanDecision, type PlanPoint } from "./plan.ts";
import { readPolicy } from "./policy.ts";

/** The least a signal needs to mark points (RetentionSignal). */
export interface SignalSpan {
  deviceId: string;
  since: Date;
  closedAt: Date | null;
}

export function isSuspect(p: { deviceId: string; createdAt: Date }, signals: readonly SignalSpan[]): boolean {
  return signals.some((s) => s.deviceId === p.deviceId && p.createdAt >= s.since && (s.closedAt === null || p.createdAt < s.closedAt));
}

export interface StudioPlan {
  paused: boolean;
  policy: RetentionPolicyValues;
  decisions: PlanDecision[];
}

type Tx = Pick<Ctx["db"], "restorePoint" | "retentionSignal">;

/**
 * Every restore point of the studio with its decision. `policy`: a proposed policy (the preview);
 * default the studio's own. `db`: a transaction to read in (apply-retention), default ctx.db.
 */
export async function studioPlan(ctx: Ctx, studioId: string, o: { policy?: RetentionPolicyValues; db?: Tx } = {}): Promise<StudioPlan> {
  const db = o.db ?? ctx.db;
  const now = ctx.clock.now();
  const policy = o.policy ?? (await readPolicy(ctx, studioId)).policy;
  const [rows, signals] = await Promise.all([
    db.restorePoint.findMany({
      where: { studioId },
      select: { id: true, deviceId: true, createdAt: true, label: true, heldAt: true, deletedAt: true },
    }),
    db.retentionSignal.findMany({ where: { studioId }, select: { deviceId: true, since: true, closedAt: true } }),
  ]);
  const paused = signals.some((s) => s.closedAt === null);
  const points: PlanPoint[] = rows.map((r) => ({
    id: r.id,
    deviceId: r.deviceId,
    createdAt: r.createdAt,
    label: r.label,
    held: r.heldAt !== null,
    deletedAt: r.deletedAt,
    suspect: isSuspect(r, signals),
  }));
  return { paused, policy, decisions: planRetention({ points, policy, now, paused, graceMs: ctx.config.retention.graceMs }) };
}

/** Each point's decision by id, for the restore point lists. */
export async function decisionsById(ctx: Ctx, studioId: string): Promise<Map<string, PlanDecision>> {
  const plan = await studioPlan(ctx, studioId);
  return new Map(plan.decisions.map((d) => [d.point.id, d]));
}
