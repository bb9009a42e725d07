// S3 settings for integration tests. Tests (and server/config.ts) are the only readers of
// process.env. The S3 server is normally the Ceph RGW started by test/support/ceph-rgw.sh:
//
//   set -a; eval "$(test/support/ceph-rgw.sh start /tmp/datasafe-rgw)"; set +a
//   ... run tests ...
//   test/support/ceph-rgw.sh stop /tmp/datasafe-rgw
//
// Rule: if no S3 server can be started, S3 tests skip with a loud reason locally and fail under
// CI=true: a CI run must never go green without having exercised S3.
import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import type { S3Config } from "../../server/storage/index.ts";

const HOW_TO = 'start one with: set -a; eval "$(test/support/ceph-rgw.sh start /tmp/datasafe-rgw)"; set +a';

/** A unique bucket name (S3 rules: 3-63 chars, lowercase, digits, "-"). */
export function uniqueBucket(prefix = "test"): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

/**
 * S3 settings from S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY,
 * S3_FORCE_PATH_STYLE and S3_BUCKET (else `bucket`, else a unique name); null without an endpoint.
 */
export function s3ConfigFromEnv(bucket?: string): S3Config | null {
  const env = process.env;
  if (!env.S3_ENDPOINT) return null;
  return {
    endpoint: env.S3_ENDPOINT,
    bucket: env.S3_BUCKET || bucket || uniqueBucket(),
    region: env.S3_REGION || "us-east-1",
    accessKeyId: env.S3_ACCESS_KEY_ID || "testkey",
    secretAccessKey: env.S3_SECRET_ACCESS_KEY || "testsecret",
    // Ceph RGW and MinIO on loopback have no wildcard DNS: path style unless told otherwise.
    forcePathStyle: env.S3_FORCE_PATH_STYLE !== "false",
  };
}

/** Why S3 tests cannot run, or null when they can. */
export function s3MissingReason(): string | null {
  return process.env.S3_ENDPOINT ? null : `S3_ENDPOINT is not set; ${HOW_TO}`;
}

/**
 * The `skip` option of a describe block that needs S3: the reason when no S3 server is set up,
 * or false (there is one, or CI=true, where the block then runs and fails loudly).
 */
export function s3SkipReason(): string | false {
  const reason = s3MissingReason();
  return reason && process.env.CI !== "true" ? reason : false;
}

/**
 * Returns the S3 settings, or: skips the test loudly (locally) / fails it (CI=true).
 * Use it as the first line of a test, or in a placeholder test of a describe block that has
 * no S3 to run against, so that the skip shows in the report.
 */
export function requireS3OrSkip(t: TestContext, bucket?: string): S3Config | null {
  const cfg = s3ConfigFromEnv(bucket);
  if (cfg) return cfg;
  const reason = s3MissingReason() ?? "no S3 settings";
  if (process.env.CI === "true") throw new Error(`S3 is required under CI=true: ${reason}`);
  console.warn(`\n*** SKIPPING S3 TESTS: ${reason} ***\n`);
  t.skip(`no S3 server: ${reason}`);
  return null;
}
