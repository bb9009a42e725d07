// The wire contract of quotas and usage (issue 20; server/services/quota.ts and usage.ts,
// docs/quotas-and-usage.md): a studio's current usage against its quota, the warning an upload
// grant carries once the studio is near or over it, and the daily usage rows kept for billing.
// Sizes are bytes (stored ciphertext after dedup and compression); days are UTC dates.
import { z } from "zod";

/**
 * Where a studio stands against its quota, from its stored bytes:
 *   none    no quota
 *   ok      under 80 %
 *   warn80  80 % or more
 *   warn95  95 % or more
 *   over    at or over the quota, uploads still admitted (the grace, QUOTA_GRACE_PERCENT)
 *   full    at or over quota + grace: uploads are refused (413 QUOTA_EXCEEDED)
 */
export const QUOTA_LEVELS = ["none", "ok", "warn80", "warn95", "over", "full"] as const;
export type QuotaLevelName = (typeof QUOTA_LEVELS)[number];

/** Day strings as stored and shown: YYYY-MM-DD (UTC). */
export const usageDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a day, YYYY-MM-DD");

/**
 * The warning a pack grant carries once the studio, with this upload, reaches 80 % of its quota:
 * `used` and `percent` count the studio's stored bytes plus the uploads in progress and this one.
 */
export const quotaWarningView = z.object({
  level: z.enum(QUOTA_LEVELS),
  used: z.number().int(),
  quota: z.number().int(),
  limit: z.number().int(),
  percent: z.number(),
  message: z.string(),
});
export type QuotaWarning = z.infer<typeof quotaWarningView>;

/** GET /v1/studios/:studioId/usage */
export const studioUsageView = z.object({
  studioId: z.uuid(),
  storedBytes: z.number().int(),
  /** null: no quota. */
  quotaBytes: z.number().int().nullable(),
  /** Quota plus grace: uploads are refused beyond it. null: no quota. */
  limitBytes: z.number().int().nullable(),
  /** storedBytes / quotaBytes, in percent with one decimal; null: no quota. */
  percent: z.number().nullable(),
  level: z.enum(QUOTA_LEVELS),
  /** Bytes of every pack the studio's devices ever stored (before dedup across packs). */
  uploadedBytes: z.number().int(),
});

/** At most this many days per request (a year and a bit of billing history). */
export const MAX_USAGE_DAYS = 400;

export const usageDaysQuery = z.object({ from: usageDay.optional(), to: usageDay.optional() });

export const usageDayView = z.object({
  day: usageDay,
  storedBytes: z.number().int(),
  quotaBytes: z.number().int().nullable(),
  chunks: z.number().int(),
  restorePoints: z.number().int(),
  /** Bytes the studio's devices stored since the previous row (that day's uploads). */
  uploadedBytes: z.number().int(),
  recordedAt: z.iso.datetime(),
});
export const usageDaysView = z.object({ studioId: z.uuid(), days: z.array(usageDayView) });
export type UsageDayView = z.infer<typeof usageDayView>;
