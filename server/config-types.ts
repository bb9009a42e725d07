// The shape of the server's configuration (what loadConfig in config.ts returns), apart from how
// it is read and validated.
export interface S3Settings {
  endpoint: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  requestChecksumCalculation: "WHEN_REQUIRED" | "WHEN_SUPPORTED";
  /**
   * Direct transfer (storage/direct.ts): clients move chunk bytes to and from the bucket with
   * presigned URLs signed for this endpoint; null keeps every byte going through the API.
   */
  direct: { publicEndpoint: string | undefined; ttlSeconds: number } | null;
  /** Object Lock mode (storage/s3-lock.ts): GOVERNANCE retention in days on every object; 0: off. */
  objectLockDays: number;
}

export interface Config {
  production: boolean;
  port: number;
  databaseUrl: string;
  redisUrl: string;
  dataDir: string;
  blobDir: string;
  s3: S3Settings | null;
  jwtSecret: string;
  logLevel: string;
  /** Room for this many largest chunks in flight through one API process (a byte budget, see
   * http/middleware/upload-limit.ts); beyond it uploads wait briefly, then get 429 + Retry-After. */
  maxUploadsInFlight: number;
  /** Chunk uploads one device may have in flight at once (fairness between studios). */
  maxUploadsPerDevice: number;
  /** Test-only: a named crash point (protocol/fault-points.ts). Never set in production. */
  faultPoint: string | undefined;
  /** BullMQ key prefix: lets several deployments (or test runs) share one Redis. */
  redisPrefix: string;
  integrity: IntegritySettings;
  /** Bearer token required by GET /metrics; null (allowed outside production only) leaves it open. */
  metricsToken: string | null;
  /** The signed uploader release served under /downloads (services/releases.ts); default DATA_DIR/releases. */
  releasesDir: string;
  /** Express's `trust proxy`: which X-Forwarded-For entry is the client's address (rate limits). */
  trustProxy: TrustProxy;
  /** Lifetime of a device token; the uploader renews it with its device key (services/device-tokens.ts). */
  deviceTokenTtlSeconds: number;
  /** Enrollment and token-renewal requests one client address may make per minute. */
  authRateLimitPerMinute: number;
  /** ES256 keys signing user access tokens (services/users/token-keys.ts). */
  tokenKeysDir: string;
  /** Where people reach the service: the base of invitation and reset links. */
  publicUrl: string;
  /** Sign-in attempts per account and per client address within `windowSeconds` (Redis). */
  signInLimits: { perAccount: number; perAddress: number; windowSeconds: number };
  /** A sign-in's refresh tokens stop working this long after it (sign in again). */
  sessionTtlMs: number;
  /** Reference pages of a restore point never committed are deleted this long after they were sent. */
  pendingRefPageTtlMs: number;
  /** Garbage collection (docs/garbage-collection.md). */
  gc: GcSettings;
  retention: RetentionSettings;
  /** Quotas (services/quota.ts): a new studio's quota (null: none), and how far over it uploads go on. */
  quota: { defaultBytes: number | null; gracePercent: number };
  alerts: AlertRules;
  /** Alert e-mail (services/alerts/mail-transport.ts): no SMTP_URL, no e-mail (the rows are marked skipped). */
  mail: { smtpUrl: string | null; from: string };
  /** How a studio reaches our support, quoted in mail that asks "did you ask for this?" (default: ALERT_MAIL_FROM). */
  supportContact: string;
}

export interface GcSettings {
  /** How often each studio is collected. */
  intervalMs: number;
  /** A chunk found unreferenced this long (and a stored pack no chunk names this old) is deleted. */
  graceMs: number;
  /** An upload session protects the chunks it was told are present this long after its last request. */
  sessionLeaseMs: number;
  /** One run holds its studio at most this long (then another worker may start one). */
  runLeaseMs: number;
  /** A grant never reported is collected this long after it expired. */
  grantMarginMs: number;
  /** A pack at least this dead (percent of its bytes no chunk row names) is repacked; 101: never. */
  repackDeadPercent: number;
}

/** Retention (services/retention/, docs/retention.md). */
export interface RetentionSettings {
  /** A soft-deleted restore point stays restorable (and can be undone) this long, then its row is purged. */
  graceMs: number;
  /** apply-retention runs once per studio per interval (the sweeper adds it). */
  intervalMs: number;
  /** The operator's floor under every studio's policy: only an admin may set a value below it. */
  minimums: { keepWithinDays: number; dailyDays: number; weeklyWeeks: number; monthlyMonths: number; labelledDays: number };
  /** The most labelled points per device and week an owner may let earn the label rule (admins: above). */
  maxLabelledPerWeek: number;
}

/** When alerts open, escalate and give up (services/alerts/, docs/alerts.md). */
export interface AlertRules {
  /** A scheduled backup is missed this long after it was due. */
  missedGraceMs: number;
  /** A device with no restore point at all is missing its first backup this long after enrollment. */
  firstBackupMs: number;
  /** A device that sent heartbeats and has sent none for this long is silent. */
  silentMs: number;
  /** This many consecutive failed runs make a failing backup. */
  failedRuns: number;
  /** A restore point still unverified this long after its commit makes verification overdue. */
  verifyOverdueMs: number;
  /** An alert open this long is copied to support's queue. */
  escalateMs: number;
  /** A message is given up (and an operator alert raised) after this many attempts. */
  deliveryAttempts: number;
  /** A queued job waiting, or a job running, this long is stuck (operator alert). */
  jobStuckMs: number;
  /** The longest an alert may be snoozed. */
  snoozeMaxMs: number;
  /** Where operator alerts go besides the admins' e-mail: a webhook signed like the studios' (null: none). */
  operatorWebhook: { url: string; secret: string } | null;
}

/** false: the socket's address; a number: that many proxy hops; a list: proxies trusted by address. */
export type TrustProxy = false | number | string[];

export interface IntegritySettings {
  /** Every stored blob is re-read at least once per this period (the scrub's promise). */
  scrubPeriodMs: number;
  /** How often each studio's scrub runs; each run reads a share of the studio's blobs. */
  scrubIntervalMs: number;
  /** How often a worker re-enqueues verification that is due (Redis may have lost the jobs). */
  sweepIntervalMs: number;
  /** Integrity jobs one worker process runs at once. */
  workerConcurrency: number;
  /** A job whose worker stops renewing its lock this long is handed to another worker. */
  jobLockMs: number;
}
