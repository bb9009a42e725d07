// Builds a process's dependencies from the configuration: database (created and migrated),
// blob store (bucket or directory created), logger. Shared by main.ts, the admin CLI and tests.
import type { Config } from "./config.ts";
import type { Ctx, Jobs } from "./context.ts";
import { addJob, integrityQueue, type IntegrityQueue } from "./jobs/queues.ts";
import { createDb, prepareDatabase } from "./db.ts";
import { systemClock } from "./clock.ts";
import { RedisCounters } from "./jobs/redis-counters.ts";
import { createLogger } from "./logger.ts";
import { S3DirectTransfer } from "./storage/direct.ts";
import { createBlobStore } from "./storage/index.ts";
import { withTimeout } from "./util/timeout.ts";

const ENQUEUE_TIMEOUT_MS = 2000;

export interface Runtime {
  ctx: Ctx;
  /** The integrity queue, connected on first use: short admin commands never touch Redis. */
  queue(): IntegrityQueue;
  redisPing(): Promise<void>;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, name: string, opts: { logToStderr?: boolean } = {}): Promise<Runtime> {
  const log = createLogger(config.logLevel, name, { stderr: opts.logToStderr });
  await prepareDatabase(config.databaseUrl);
  const blobs = config.s3 ? createBlobStore({ kind: "s3", ...config.s3 }) : createBlobStore({ kind: "local", dir: config.blobDir });
  await blobs.init();
  let created: IntegrityQueue | null = null;
  const queue = (): IntegrityQueue => {
    if (!created) {
      created = integrityQueue(config.redisUrl, config.redisPrefix);
      created.on("error", (err) => log.warn({ err }, "queue connection error"));
    }
    return created;
  };
  const jobs: Jobs = {
    async verifyRestorePoint(job) {
      // Postgres holds the request (verifyDueAt); if this fails or Redis loses the job, the
      // sweeper (server/jobs/sweeper.ts) enqueues it again under the same id.
      // Bounded wait: with Redis down the client queues commands indefinitely, and a commit must
      // not hang on it.
      await withTimeout(addJob(queue(), "verify", job), ENQUEUE_TIMEOUT_MS).catch((err: unknown) =>
        log.warn({ err, ...job }, "could not enqueue verification; the sweeper will"),
      );
    },
  };
  const db = createDb(config.databaseUrl);
  const direct = config.s3?.direct ? new S3DirectTransfer(config.s3, config.s3.direct.publicEndpoint) : undefined;
  // Connected on first use, like the queue: short admin commands never touch Redis.
  const counters = new RedisCounters(config.redisUrl, config.redisPrefix);
  const ctx: Ctx = { config, db, blobs, log, jobs, counters, clock: systemClock, ...(direct ? { direct } : {}) };
  return {
    ctx,
    queue,
    redisPing: async () => {
      await queue().client; // resolves once connected
      if (
        (await queue()
          .getWorkersCount()
          .catch(() => -1)) < 0
      )
        throw new Error("redis unreachable");
    },
    close: async () => {
      if (created) {
        // Closing while BullMQ still initialises its connection makes it emit an unhandled
        // "Connection is closed" error (seen crashing short admin commands): let it finish first.
        await withTimeout(created.waitUntilReady(), ENQUEUE_TIMEOUT_MS).catch(() => undefined);
        await created.close().catch(() => undefined);
      }
      await counters.close();
      direct?.close();
      await db.$disconnect();
    },
  };
}
