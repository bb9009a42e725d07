// The server without HTTP, for service tests: the real Postgres (a fresh database), Redis (its own
// queue prefix) and blob store (a temporary directory, or the S3 server in S3_*), built by
// server/runtime.ts exactly as main.ts builds them. Tests call services with `ctx` directly: the
// same code the routes call, minus the request, so a service's rules are tested where they live
// and fast; the CLI-driven tests stay the end-to-end proof.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../server/config.ts";
import type { Ctx, Jobs } from "../../server/context.ts";
import { createRuntime } from "../../server/runtime.ts";
import { s3ConfigFromEnv } from "./s3.ts";
import { dropDatabase } from "./server.ts";

export interface InProcess {
  ctx: Ctx;
  /** Every verification the services requested, in order (also enqueued: no worker takes them). */
  verifyRequests: Array<Parameters<Jobs["verifyRestorePoint"]>[0]>;
  close(): Promise<void>;
}

/** `s3`: the blob store is a fresh bucket on the S3 server in S3_* (else a temporary directory). */
export async function startInProcess(o: { s3?: boolean; env?: Record<string, string> } = {}): Promise<InProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "datasafe-inproc-"));
  const dbName = `datasafe_test_${randomBytes(5).toString("hex")}`;
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: `postgresql://${os.userInfo().username}@127.0.0.1:5432/${dbName}`,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    REDIS_PREFIX: `t-${randomBytes(4).toString("hex")}`,
    DATA_DIR: path.join(dir, "data"),
    LOG_LEVEL: "warn",
    ...o.env,
  };
  if (o.s3) {
    const s3 = s3ConfigFromEnv(`inproc-${randomBytes(4).toString("hex")}`);
    if (!s3) throw new Error("S3 requested but S3_ENDPOINT is not set");
    Object.assign(env, {
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: String(s3.forcePathStyle),
    });
  }
  const runtime = await createRuntime(loadConfig(env, { dotenv: false }), "datasafe-test");
  const verifyRequests: InProcess["verifyRequests"] = [];
  const jobs: Jobs = {
    async verifyRestorePoint(job) {
      verifyRequests.push(job);
      await runtime.ctx.jobs.verifyRestorePoint(job);
    },
  };
  return {
    ctx: { ...runtime.ctx, jobs },
    verifyRequests,
    async close() {
      await runtime.close();
      await dropDatabase(dbName).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
