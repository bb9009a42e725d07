// The torture rig: its own Postgres cluster and redis-server (the scenarios crash and flush
// them), the S3 server behind a fault-injecting proxy, two API processes behind a balancer and
// two worker processes, all on loopback. Uploaders are the real CLI (uploader.ts).
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { type BlobStore, createBlobStore } from "../../server/storage/index.ts";
import type { Rng } from "../bench/prng.ts";
import { freePort } from "../support/server.ts";
import { Balancer } from "./balancer.ts";
import { FaultProxy } from "./fault-proxy.ts";
import { PgCluster } from "./postgres.ts";
import { RedisServer } from "./redis.ts";
import { s3Server, type S3Server } from "./s3.ts";
import { ServerProc } from "./server-procs.ts";

export interface Rig {
  dir: string;
  env: NodeJS.ProcessEnv;
  pg: PgCluster;
  redis: RedisServer;
  proxy: FaultProxy;
  balancer: Balancer;
  apis: ServerProc[];
  workers: ServerProc[];
  /** The bucket as the S3 server holds it, bypassing the proxy (for damage and inventory). */
  store: BlobStore;
  bucket: string;
  db(): Promise<pg.Client>;
  /** Starts every server process that is not running. */
  ensureAllUp(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRig(rng: Rng, opts: { apis?: number; workers?: number } = {}): Promise<Rig> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "datasafe-torture-"));
  await chmod(dir, 0o711); // the cluster's user (postgres, when we are root) must reach dir/pg
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const pgc = await PgCluster.create(dir, await freePort());
    cleanups.push(() => pgc.stop());
    const redis = new RedisServer(await freePort());
    await redis.start();
    cleanups.push(() => redis.kill());
    const s3 = await s3Server(dir);
    cleanups.push(() => s3.stop());
    const proxy = await FaultProxy.start(s3.endpoint, rng);
    cleanups.push(() => proxy.close());
    const bucket = `torture-${randomBytes(5).toString("hex")}`;
    const env = serverEnv(dir, pgc, redis, proxy, s3, bucket);
    const apis = await Promise.all(
      Array.from({ length: opts.apis ?? 2 }, async (_, i) => new ServerProc(`api-${i + 1}`, "api", env, await freePort())),
    );
    const workers = Array.from({ length: opts.workers ?? 2 }, (_, i) => new ServerProc(`worker-${i + 1}`, "worker", env, 0));
    const all = [...apis, ...workers];
    cleanups.push(() => Promise.all(all.map((p) => p.kill())));
    // One first (it creates and migrates the database), then the others at once.
    await apis[0]!.start();
    await Promise.all(all.slice(1).map((p) => p.start()));
    const balancer = await Balancer.start(apis.map((a) => a.backend));
    cleanups.push(() => balancer.close());
    const store = createBlobStore({
      kind: "s3",
      endpoint: s3.endpoint,
      bucket,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
    });
    cleanups.push(async () => {
      for await (const o of store.list("")) await store.delete(o.key);
    });
    return {
      dir,
      env,
      pg: pgc,
      redis,
      proxy,
      balancer,
      apis,
      workers,
      store,
      bucket,
      async db() {
        const c = new pg.Client({ connectionString: pgc.url });
        await c.connect();
        return c;
      },
      async ensureAllUp() {
        await Promise.all(all.map((p) => p.start()));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function serverEnv(dir: string, pgc: PgCluster, redis: RedisServer, proxy: FaultProxy, s3: S3Server, bucket: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: pgc.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: "torture",
    // Shared by every process: the JWT secret and token keys live here.
    DATA_DIR: path.join(dir, "data"),
    JWT_SECRET: randomBytes(32).toString("hex"),
    LOG_LEVEL: "warn",
    AUTH_RATE_LIMIT_PER_MINUTE: "10000",
    S3_ENDPOINT: proxy.url,
    S3_BUCKET: bucket,
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: "true",
    // A killed worker's job is taken over after its lock expires; the sweeper re-enqueues what
    // Redis lost. Short, so the scenarios settle in seconds rather than minutes.
    JOB_LOCK_SECONDS: "5",
    SWEEP_INTERVAL_SECONDS: "1",
  };
}
