// The alerts API (issue 22): a studio's alerts with their delivery log, its notification settings,
// and support's queue. Alerts carry no file names: their details are counts, times, device names
// and error codes (server/services/alerts/kinds.ts).
import { z } from "zod";
import { email } from "./people.ts";

const iso = z.iso.datetime();

/** Where alert webhooks go. HTTPS (plain HTTP only on a server not in production), no credentials in the URL. */
export const webhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((u) => {
    const url = new URL(u);
    return !url.username && !url.password;
  }, "must not carry credentials");

export const alertListQuery = z.object({
  state: z.enum(["open", "all"]).default("open"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const alertDeliveryView = z.object({
  id: z.uuid(),
  event: z.string(),
  channel: z.string(),
  recipient: z.string(),
  state: z.string(),
  attempts: z.number().int(),
  nextAttemptAt: iso.nullable(),
  lastError: z.string().nullable(),
  createdAt: iso,
  sentAt: iso.nullable(),
});

export const alertView = z.object({
  id: z.uuid(),
  /** Null: an operator alert about the whole deployment (support's queue only). */
  studioId: z.uuid().nullable(),
  kind: z.string(),
  title: z.string(),
  facts: z.array(z.string()),
  action: z.string(),
  deviceId: z.uuid().nullable(),
  restorePointId: z.uuid().nullable(),
  openedAt: iso,
  resolvedAt: iso.nullable(),
  escalatedAt: iso.nullable(),
  /** Snoozed until then (nothing is sent meanwhile; sent again then if still open). */
  snoozedUntil: iso.nullable(),
  deliveries: z.array(alertDeliveryView),
});
export const alertList = z.object({ alerts: z.array(alertView) });

export const alertSettingsView = z.object({
  /** optedOut: no alert mail; digest: receives the daily digest. */
  recipients: z.array(z.object({ email: z.string(), optedOut: z.boolean(), digest: z.boolean() })),
  webhookUrl: z.string().nullable(),
  webhookSecretSet: z.boolean(),
});

/** Absent fields are left as they are. `emailOptOut` replaces the list. */
export const alertSettingsBody = z.object({
  emailOptOut: z.array(email).max(100).optional(),
  /** Owners who do not want the daily digest (replaces the list). */
  digestOptOut: z.array(email).max(100).optional(),
  webhookUrl: webhookUrl.nullable().optional(),
});

/** Shown once: the server keeps it to sign, and never shows it again. */
export const webhookSecretView = z.object({ secret: z.string().regex(/^whsec_[A-Za-z0-9+/]{43}=$/) });

export const supportAlertsQuery = z.object({
  /** escalated: open longer than ALERT_ESCALATE_HOURS (and operator alerts); open: every open alert. */
  scope: z.enum(["escalated", "open"]).default("escalated"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const supportAlertList = z.object({ alerts: z.array(alertView.extend({ studioName: z.string().nullable() })) });

export const alertIdParams = z.object({ alertId: z.uuid() });
export const resentView = z.object({ alertId: z.uuid(), deliveries: z.number().int() });

/**
 * Snooze an open alert for `hours` (at most the server's ALERT_SNOOZE_MAX_HOURS, 14 days unless
 * set; 0 ends a snooze now). Nothing is sent meanwhile; still open when it ends, it is sent again.
 */
export const alertSnoozeBody = z.object({ hours: z.number().min(0).max(2160) });
export const studioAlertParams = z.object({ studioId: z.uuid(), alertId: z.uuid() });
