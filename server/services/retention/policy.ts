// A studio's retention policy: its RetentionPolicy row, or the defaults when it has none. Owners
// change it within the operator's limits (RETENTION_MIN_*, RETENTION_MAX_LABELLED_PER_WEEK); only
// an admin may go beyond them. Every change is audited with the old and new values.
import { DEFAULT_RETENTION_POLICY, type RetentionPolicyValues } from "../../../protocol/retention.ts";
import type { Ctx } from "../../context.ts";
import { AppError } from "../../errors.ts";
import { audit, type Actor } from "../audit.ts";

export interface StoredPolicy {
  policy: RetentionPolicyValues;
  isDefault: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export async function readPolicy(ctx: Ctx, studioId: string): Promise<StoredPolicy> {
  const row = await ctx.db.retentionPolicy.findUnique({ where: { studioId } });
  if (!row) return { policy: { ...DEFAULT_RETENTION_POLICY }, isDefault: true, updatedAt: null, updatedBy: null };
  const { keepWithinDays, dailyDays, weeklyWeeks, monthlyMonths, labelledDays, labelledPerWeek } = row;
  return {
    policy: { keepWithinDays, dailyDays, weeklyWeeks, monthlyMonths, labelledDays, labelledPerWeek },
    isDefault: false,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}

/** The fields of `p` beyond the operator's limits, in words; empty when an owner may set it. */
export function beyondLimits(ctx: Ctx, p: RetentionPolicyValues): string[] {
  const { minimums, maxLabelledPerWeek } = ctx.config.retention;
  const out = (Object.keys(minimums) as Array<keyof typeof minimums>)
    .filter((k) => p[k] < minimums[k])
    .map((k) => `${k} ${p[k]} is below the minimum ${minimums[k]}`);
  if (p.labelledPerWeek > maxLabelledPerWeek) out.push(`labelledPerWeek ${p.labelledPerWeek} is above the maximum ${maxLabelledPerWeek}`);
  return out;
}

export async function writePolicy(ctx: Ctx, actor: Actor, studioId: string, policy: RetentionPolicyValues): Promise<StoredPolicy> {
  const beyond = beyondLimits(ctx, policy);
  if (beyond.length && actor.role !== "admin") {
    throw new AppError("RETENTION_BELOW_MINIMUM", `only an admin may set this policy: ${beyond.join("; ")}`, { beyond });
  }
  const now = ctx.clock.now();
  const before = await readPolicy(ctx, studioId);
  const by = actor.label ?? actor.role;
  await ctx.db.$transaction(async (tx) => {
    await tx.retentionPolicy.upsert({
      where: { studioId },
      create: { studioId, ...policy, updatedAt: now, updatedBy: by },
      update: { ...policy, updatedAt: now, updatedBy: by },
    });
    await audit(tx, actor, {
      action: "retention.policy-changed",
      studioId,
      details: { before: { ...before.policy }, after: { ...policy }, ...(beyond.length ? { beyondLimits: beyond } : {}) },
    });
  });
  return { policy, isDefault: false, updatedAt: now, updatedBy: by };
}
