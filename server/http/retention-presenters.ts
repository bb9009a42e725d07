// Retention decisions as they leave the API (protocol/retention.ts): dates in ISO 8601, reasons as words.
import type { z } from "zod";
import type { retentionDecisionView } from "../../protocol/retention.ts";
import type { PlanDecision } from "../services/retention/plan.ts";

export function presentDecision(d: PlanDecision): z.infer<typeof retentionDecisionView> {
  return {
    restorePointId: d.point.id,
    deviceId: d.point.deviceId,
    createdAt: d.point.createdAt.toISOString(),
    label: d.point.label,
    decision: d.decision,
    keptBecause: d.reasons.map((r) => r.reason),
    expiresAt: d.expiresAt?.toISOString() ?? null,
    purgeAt: d.purgeAt?.toISOString() ?? null,
    suspect: d.point.suspect,
  };
}
