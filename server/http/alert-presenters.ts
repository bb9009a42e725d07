// What leaves the API of an alert: the kind's title, facts and advice (zero knowledge, as the
// mail says it) and the delivery log; the raw details stay inside.
import type { z } from "zod";
import type { alertView } from "../../protocol/alerts.ts";
import { alertKind } from "../services/alerts/kinds.ts";
import type { AlertRow } from "../services/alerts/queries.ts";

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function presentAlert(a: AlertRow): z.infer<typeof alertView> {
  const k = alertKind(a.kind);
  const details = a.details && typeof a.details === "object" ? (a.details as Record<string, unknown>) : {};
  return {
    id: a.id,
    studioId: a.studioId,
    kind: a.kind,
    title: k.title,
    facts: k.describe(details, a.device?.name ?? null),
    action: k.action,
    deviceId: a.deviceId,
    restorePointId: a.restorePointId,
    openedAt: a.createdAt.toISOString(),
    resolvedAt: iso(a.resolvedAt),
    escalatedAt: iso(a.escalatedAt),
    snoozedUntil: iso(a.snoozedUntil),
    deliveries: a.deliveries.map((d) => ({
      id: d.id,
      event: d.event,
      channel: d.channel,
      recipient: d.recipient,
      state: d.state,
      attempts: d.attempts,
      nextAttemptAt: iso(d.nextAttemptAt),
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      sentAt: iso(d.sentAt),
    })),
  };
}
