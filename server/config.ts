// The server's configuration: read once from the environment (and .env), validated, and every
// problem reported together so an operator fixes them in one go. Nothing else reads process.env.
// The variables themselves are declared in config-env.ts.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { config as loadDotenv } from "dotenv";
import { envSchema } from "./config-env.ts";

export { SERVER_SETTINGS } from "./config-env.ts";

import type { Config, S3Settings } from "./config-types.ts";

export type { S3Settings, Config, GcSettings, RetentionSettings, AlertRules, TrustProxy, IntegritySettings } from "./config-types.ts";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** Reads and validates the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: { dotenv?: boolean } = {}): Config {
  if (opts.dotenv !== false) loadDotenv({ quiet: true });
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  if (!parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  const production = e.NODE_ENV === "production";

  let s3: S3Settings | null = null;
  const s3Any = e.S3_ENDPOINT || e.S3_BUCKET || e.S3_ACCESS_KEY_ID || e.S3_SECRET_ACCESS_KEY;
  if (s3Any) {
    for (const k of ["S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const) {
      if (!e[k]) problems.push(`${k}: required when S3 is configured`);
    }
    s3 = {
      endpoint: e.S3_ENDPOINT,
      bucket: e.S3_BUCKET ?? "",
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID ?? "",
      secretAccessKey: e.S3_SECRET_ACCESS_KEY ?? "",
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      requestChecksumCalculation: e.S3_REQUEST_CHECKSUM_CALCULATION,
      direct: e.DIRECT_TRANSFER ? { publicEndpoint: e.S3_PUBLIC_ENDPOINT, ttlSeconds: e.DIRECT_URL_TTL_SECONDS } : null,
      objectLockDays: e.S3_OBJECT_LOCK_DAYS,
    };
  }
  if (production && !e.JWT_SECRET) problems.push("JWT_SECRET: required when NODE_ENV=production");
  if (Boolean(e.OPERATOR_WEBHOOK_URL) !== Boolean(e.OPERATOR_WEBHOOK_SECRET))
    problems.push("OPERATOR_WEBHOOK_URL and OPERATOR_WEBHOOK_SECRET: set both or neither");
  if (production && e.OPERATOR_WEBHOOK_URL?.startsWith("http://")) problems.push("OPERATOR_WEBHOOK_URL: must be https:// in production");
  // Without a token /metrics is open to anyone who can reach the API: acceptable on a developer's
  // machine, never on a deployed one.
  if (production && !e.METRICS_TOKEN)
    problems.push("METRICS_TOKEN: required when NODE_ENV=production (GET /metrics would be open to anyone)");
  if (e.SCRUB_INTERVAL_MINUTES * 60_000 * 2 > e.SCRUB_PERIOD_DAYS * 86_400_000) {
    problems.push("SCRUB_INTERVAL_MINUTES: must be at most half of SCRUB_PERIOD_DAYS");
  }
  const dataDir = path.resolve(e.DATA_DIR);
  // Not generated for a configuration that is refused anyway.
  const jwtSecret = e.JWT_SECRET ?? (problems.length ? "" : devJwtSecret(dataDir, problems));
  if (problems.length) throw new ConfigError(problems);

  return {
    production,
    port: e.PORT,
    databaseUrl: withDefaultUser(e.DATABASE_URL),
    redisUrl: e.REDIS_URL,
    dataDir,
    blobDir: path.resolve(e.BLOB_DIR ?? path.join(dataDir, "blobs")),
    s3,
    jwtSecret,
    logLevel: e.LOG_LEVEL,
    maxUploadsInFlight: e.MAX_UPLOADS_IN_FLIGHT,
    maxUploadsPerDevice: e.MAX_UPLOADS_PER_DEVICE,
    faultPoint: e.DATASAFE_FAULT_POINT,
    redisPrefix: e.REDIS_PREFIX,
    integrity: {
      scrubPeriodMs: Math.round(e.SCRUB_PERIOD_DAYS * 86_400_000),
      scrubIntervalMs: Math.round(e.SCRUB_INTERVAL_MINUTES * 60_000),
      sweepIntervalMs: Math.round(e.SWEEP_INTERVAL_SECONDS * 1000),
      workerConcurrency: e.WORKER_CONCURRENCY,
      jobLockMs: Math.round(e.JOB_LOCK_SECONDS * 1000),
    },
    metricsToken: e.METRICS_TOKEN ?? null,
    releasesDir: path.resolve(e.RELEASES_DIR ?? path.join(dataDir, "releases")),
    trustProxy: e.TRUST_PROXY,
    deviceTokenTtlSeconds: e.DEVICE_TOKEN_TTL_SECONDS,
    authRateLimitPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
    pendingRefPageTtlMs: Math.round(e.PENDING_REF_PAGES_TTL_DAYS * 86_400_000),
    gc: {
      intervalMs: Math.round(e.GC_INTERVAL_HOURS * 3_600_000),
      graceMs: Math.round(e.GC_GRACE_HOURS * 3_600_000),
      sessionLeaseMs: Math.round((e.GC_SESSION_LEASE_DAYS ?? e.PENDING_REF_PAGES_TTL_DAYS) * 86_400_000),
      runLeaseMs: Math.round(e.GC_RUN_LEASE_MINUTES * 60_000),
      grantMarginMs: Math.round(e.GC_GRANT_MARGIN_MINUTES * 60_000),
      repackDeadPercent: e.GC_REPACK_DEAD_PERCENT,
    },
    tokenKeysDir: path.resolve(e.TOKEN_KEYS_DIR ?? path.join(dataDir, "token-keys")),
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    signInLimits: {
      perAccount: e.SIGN_IN_LIMIT_PER_ACCOUNT,
      perAddress: e.SIGN_IN_LIMIT_PER_ADDRESS,
      windowSeconds: Math.max(1, Math.round(e.SIGN_IN_LIMIT_WINDOW_MINUTES * 60)),
    },
    sessionTtlMs: Math.round(e.SESSION_TTL_DAYS * 86_400_000),
    retention: {
      graceMs: Math.round(e.RETENTION_GRACE_DAYS * 86_400_000),
      intervalMs: Math.round(e.RETENTION_INTERVAL_MINUTES * 60_000),
      minimums: {
        keepWithinDays: e.RETENTION_MIN_KEEP_WITHIN_DAYS,
        dailyDays: e.RETENTION_MIN_DAILY_DAYS,
        weeklyWeeks: e.RETENTION_MIN_WEEKLY_WEEKS,
        monthlyMonths: e.RETENTION_MIN_MONTHLY_MONTHS,
        labelledDays: e.RETENTION_MIN_LABELLED_DAYS,
      },
      maxLabelledPerWeek: e.RETENTION_MAX_LABELLED_PER_WEEK,
    },
    quota: {
      defaultBytes: e.DEFAULT_QUOTA_GB === undefined ? null : Math.round(e.DEFAULT_QUOTA_GB * 1e9),
      gracePercent: e.QUOTA_GRACE_PERCENT,
    },
    alerts: {
      missedGraceMs: Math.round(e.ALERT_MISSED_GRACE_HOURS * 3_600_000),
      firstBackupMs: Math.round(e.ALERT_FIRST_BACKUP_HOURS * 3_600_000),
      silentMs: Math.round(e.ALERT_SILENT_HOURS * 3_600_000),
      failedRuns: e.ALERT_FAILED_RUNS,
      verifyOverdueMs: Math.round(e.ALERT_VERIFY_OVERDUE_HOURS * 3_600_000),
      escalateMs: Math.round(e.ALERT_ESCALATE_HOURS * 3_600_000),
      deliveryAttempts: e.ALERT_DELIVERY_ATTEMPTS,
      jobStuckMs: Math.round(e.ALERT_JOB_STUCK_MINUTES * 60_000),
      snoozeMaxMs: Math.round(e.ALERT_SNOOZE_MAX_HOURS * 3_600_000),
      operatorWebhook:
        e.OPERATOR_WEBHOOK_URL && e.OPERATOR_WEBHOOK_SECRET ? { url: e.OPERATOR_WEBHOOK_URL, secret: e.OPERATOR_WEBHOOK_SECRET } : null,
    },
    mail: { smtpUrl: e.SMTP_URL ?? null, from: e.ALERT_MAIL_FROM },
    supportContact: e.SUPPORT_CONTACT ?? e.ALERT_MAIL_FROM,
  };
}

/** libpq defaults the user to the OS user; node-postgres only reads $USER, which may be unset. */
function withDefaultUser(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.username || url.searchParams.has("user") || url.searchParams.has("host")) return databaseUrl;
  url.username = os.userInfo().username;
  return url.toString();
}

/** HS256 with a shorter key is guessable offline from one token (RFC 7518 §3.2: at least 256 bits). */
const MIN_SECRET_BYTES = 32;

/**
 * Outside production a secret is generated once and kept in the data directory. A shorter file
 * (hand-written, truncated) is a problem to fix, not something to sign tokens with.
 */
function devJwtSecret(dataDir: string, problems: string[]): string {
  const file = path.join(dataDir, "jwt-secret");
  if (existsSync(file)) {
    const secret = readFileSync(file, "utf8").trim();
    if (Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) {
      problems.push(`JWT_SECRET: ${file} holds fewer than ${MIN_SECRET_BYTES} bytes; delete it (a new one is generated) or set JWT_SECRET`);
    }
    return secret;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("hex");
  try {
    writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
  } catch {
    return readFileSync(file, "utf8").trim(); // another process created it first
  }
  process.emitWarning(`JWT_SECRET is not set; generated one and kept it in ${file}`);
  return secret;
}
