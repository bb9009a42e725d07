// The environment the server reads: every variable, its type, bounds and default, in one zod
// schema (config.ts turns the result into a Config and adds the checks between settings).
// docs/configuration.md lists each one (test/unit/docs/settings.test.ts).
import { isIP } from "node:net";
import { z } from "zod";
import { FAULT_POINT_SPEC } from "../protocol/fault-points.ts";
import type { TrustProxy } from "./config.ts";

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");

export const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .default("postgresql://localhost:5432/datasafe"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .default("redis://127.0.0.1:6379"),
  DATA_DIR: z.string().min(1).default("./data"),
  BLOB_DIR: z.string().min(1).optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid bucket name")
    .optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_REQUEST_CHECKSUM_CALCULATION: z.enum(["WHEN_REQUIRED", "WHEN_SUPPORTED"]).default("WHEN_REQUIRED"),
  S3_PUBLIC_ENDPOINT: z.url().optional(),
  S3_OBJECT_LOCK_DAYS: z.coerce.number().min(0).max(36_500).default(0),
  DIRECT_TRANSFER: bool.default(true),
  DIRECT_URL_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(600),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MAX_UPLOADS_IN_FLIGHT: z.coerce.number().int().min(1).max(1024).default(8),
  MAX_UPLOADS_PER_DEVICE: z.coerce.number().int().min(1).max(256).default(4),
  DATASAFE_FAULT_POINT: z.string().regex(FAULT_POINT_SPEC, "must be NAME or NAME:N").optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 of [A-Za-z0-9_.-]")
    .default("datasafe"),
  SCRUB_PERIOD_DAYS: z.coerce.number().min(0.001).max(3650).default(30),
  SCRUB_INTERVAL_MINUTES: z.coerce
    .number()
    .min(0.01)
    .max(7 * 24 * 60)
    .default(60),
  SWEEP_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(3600).default(60),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  JOB_LOCK_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  RELEASES_DIR: z.string().optional(),
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((v, c) => parseTrustProxy(v, c)),
  DEVICE_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(30 * 86_400)
    .default(86_400),
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),
  PENDING_REF_PAGES_TTL_DAYS: z.coerce.number().min(0.001).max(365).default(7),
  GC_INTERVAL_HOURS: z.coerce
    .number()
    .min(0.001)
    .max(24 * 30)
    .default(24),
  GC_GRACE_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 365)
    .default(24),
  GC_SESSION_LEASE_DAYS: z.coerce.number().min(0.001).max(365).optional(),
  GC_RUN_LEASE_MINUTES: z.coerce
    .number()
    .min(0.1)
    .max(24 * 60)
    .default(60),
  GC_GRANT_MARGIN_MINUTES: z.coerce
    .number()
    .min(0)
    .max(24 * 60)
    .default(60),
  GC_REPACK_DEAD_PERCENT: z.coerce.number().int().min(1).max(101).default(50),
  TOKEN_KEYS_DIR: z.string().min(1).optional(),
  PUBLIC_URL: z.url().optional(),
  SIGN_IN_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).max(10_000).default(10),
  SIGN_IN_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(50),
  SIGN_IN_LIMIT_WINDOW_MINUTES: z.coerce
    .number()
    .min(0.05)
    .max(24 * 60)
    .default(15),
  SESSION_TTL_DAYS: z.coerce.number().min(0.01).max(365).default(30),
  RETENTION_GRACE_DAYS: z.coerce.number().min(0.001).max(365).default(7),
  RETENTION_INTERVAL_MINUTES: z.coerce
    .number()
    .min(0.01)
    .max(7 * 24 * 60)
    .default(60),
  RETENTION_MIN_KEEP_WITHIN_DAYS: z.coerce.number().int().min(0).max(3650).default(7),
  RETENTION_MIN_DAILY_DAYS: z.coerce.number().int().min(0).max(3650).default(14),
  RETENTION_MIN_WEEKLY_WEEKS: z.coerce.number().int().min(0).max(520).default(4),
  RETENTION_MIN_MONTHLY_MONTHS: z.coerce.number().int().min(0).max(240).default(3),
  RETENTION_MIN_LABELLED_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  RETENTION_MAX_LABELLED_PER_WEEK: z.coerce.number().int().min(0).max(100).default(7),
  DEFAULT_QUOTA_GB: z.coerce.number().min(0.001).max(1_000_000).optional(),
  QUOTA_GRACE_PERCENT: z.coerce.number().min(0).max(100).default(10),
  ALERT_MISSED_GRACE_HOURS: z.coerce.number().min(0).max(168).default(2),
  ALERT_FIRST_BACKUP_HOURS: z.coerce.number().min(1).max(720).default(26),
  ALERT_SILENT_HOURS: z.coerce.number().min(1).max(720).default(24),
  ALERT_FAILED_RUNS: z.coerce.number().int().min(1).max(100).default(3),
  ALERT_VERIFY_OVERDUE_HOURS: z.coerce.number().min(1).max(720).default(48),
  ALERT_ESCALATE_HOURS: z.coerce.number().min(0.1).max(720).default(24),
  ALERT_DELIVERY_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  ALERT_MAIL_FROM: z.string().min(3).max(200).default("DataSafe <alerts@localhost>"),
  SUPPORT_CONTACT: z.string().min(3).max(300).optional(),
  ALERT_JOB_STUCK_MINUTES: z.coerce
    .number()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  ALERT_SNOOZE_MAX_HOURS: z.coerce
    .number()
    .min(1)
    .max(90 * 24)
    .default(14 * 24),
  OPERATOR_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPERATOR_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{43}=$/, "whsec_ and 32 bytes in base64")
    .optional(),
});

/** Every environment variable the server reads: docs/configuration.md lists each (test/unit/docs/settings.test.ts). */
export const SERVER_SETTINGS: readonly string[] = Object.keys(envSchema.shape);

const PROXY_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

/**
 * TRUST_PROXY: a hop count, or proxies by address (IP, CIDR, loopback, linklocal, uniquelocal).
 * `true` is refused: it believes the left-most X-Forwarded-For entry, which the client writes.
 */
function parseTrustProxy(v: string | undefined, c: z.RefinementCtx): TrustProxy {
  if (v === undefined || v === "false" || v === "0") return false;
  if (/^\d+$/.test(v)) return Number(v);
  const items = v.split(",").map((x) => x.trim());
  const bad = items.filter((x) => {
    if (PROXY_RANGES.has(x)) return false;
    const [ip, bits, ...rest] = x.split("/");
    const family = isIP(ip ?? "");
    if (!family || rest.length) return true;
    return bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (bad.length) {
    c.addIssue({
      code: "custom",
      message: `must be a hop count or proxy addresses (IP, CIDR, loopback, linklocal, uniquelocal); not ${bad.join(", ")}`,
    });
  }
  return items;
}
