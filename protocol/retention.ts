// Retention on the wire (services/retention/): a studio's policy, the plan for each restore point
// (kept and why, or to expire), the studio's pause signals and the list of deletions.
import { z } from "zod";

const iso = z.iso.datetime();
const days = (max: number) => z.number().int().min(0).max(max);

/** A studio's retention policy; every field a whole number (0: that rule keeps nothing). */
export const retentionPolicy = z.object({
  /** Every restore point is kept this many days. */
  keepWithinDays: days(3650),
  /** Then the last of each day, for this many days. */
  dailyDays: days(3650),
  /** The last of each ISO week, for this many weeks. */
  weeklyWeeks: days(520),
  /** The last of each month, for this many months. */
  monthlyMonths: days(240),
  /** Labelled restore points, for at least this many days... */
  labelledDays: days(3650),
  /** ...but only the first this many labelled points of a device in an ISO week earn it. */
  labelledPerWeek: z.number().int().min(0).max(100),
});
export type RetentionPolicyValues = z.infer<typeof retentionPolicy>;

export const DEFAULT_RETENTION_POLICY: RetentionPolicyValues = {
  keepWithinDays: 14,
  dailyDays: 30,
  weeklyWeeks: 12,
  monthlyMonths: 12,
  labelledDays: 90,
  labelledPerWeek: 3,
};

export const retentionPolicyView = z.object({
  policy: retentionPolicy,
  /** The operator's limits: only an admin may set a value below a minimum (or above the labelled maximum). */
  minimums: retentionPolicy.omit({ labelledPerWeek: true }),
  maxLabelledPerWeek: z.number().int(),
  isDefault: z.boolean(),
  updatedAt: iso.nullable(),
  updatedBy: z.string().nullable(),
});

export const retentionPreviewBody = z.object({ policy: retentionPolicy });

/** What retention makes of one restore point now. */
export const retentionDecisionView = z.object({
  restorePointId: z.uuid(),
  deviceId: z.uuid(),
  createdAt: iso,
  label: z.string().nullable(),
  /** keep; expire (the next run soft-deletes it); deleted (soft-deleted, restorable until purgeAt). */
  decision: z.enum(["keep", "expire", "deleted"]),
  keptBecause: z.array(z.string()),
  /** When it stops being kept if nothing changes; null: not by time (held, latest of its device, paused). */
  expiresAt: iso.nullable(),
  purgeAt: iso.nullable(),
  suspect: z.boolean(),
});
export const retentionPreviewView = z.object({
  paused: z.boolean(),
  keep: z.number().int(),
  expire: z.number().int(),
  points: z.array(retentionDecisionView),
});

export const retentionSignalView = z.object({
  id: z.uuid(),
  kind: z.enum(["flood", "suspicious-change"]),
  deviceId: z.uuid(),
  since: iso,
  openedAt: iso,
  closedAt: iso.nullable(),
  closedBy: z.string().nullable(),
  restorePointId: z.uuid().nullable(),
  /** Why, in words, and the measurements behind it. */
  why: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export const retentionStateView = z.object({
  paused: z.boolean(),
  why: z.array(z.string()),
  signals: z.array(retentionSignalView),
  lastAppliedAt: iso.nullable(),
});

export const retentionEventView = z.object({
  id: z.string(),
  restorePointId: z.uuid(),
  deviceId: z.uuid(),
  pointCreatedAt: iso,
  label: z.string().nullable(),
  at: iso,
  action: z.enum(["deleted", "undone", "purged", "held", "released"]),
  by: z.string(),
  reason: z.string().nullable(),
});
export const retentionEventList = z.object({ events: z.array(retentionEventView) });
export const retentionEventsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const studioPointParams = z.object({ studioId: z.uuid(), restorePointId: z.uuid() });
export const studioSignalParams = z.object({ studioId: z.uuid(), signalId: z.uuid() });
export const deletePointBody = z.object({ reason: z.string().trim().min(1).max(500).optional() });
export const closeSignalBody = z.object({ note: z.string().trim().min(1).max(500) });

/** A restore point's state after a person's action (delete, undo, hold, release). */
export const retentionPointView = z.object({
  restorePointId: z.uuid(),
  deletedAt: iso.nullable(),
  purgeAt: iso.nullable(),
  heldAt: iso.nullable(),
  changed: z.boolean(),
});
