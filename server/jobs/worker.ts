// The worker role: consumes the integrity queue. Several workers may run against one Redis;
// BullMQ hands each job to one of them at a time.
import { Worker } from "bullmq";
import type { Ctx } from "../context.ts";
import { INTEGRITY_QUEUE, redisConnection, type VerifyRestorePointJob } from "./queues.ts";
import { verifyRestorePoint } from "./tasks/verify-restore-point.ts";

export function startWorker(ctx: Ctx): Worker<VerifyRestorePointJob> {
  const worker = new Worker<VerifyRestorePointJob>(
    INTEGRITY_QUEUE,
    async (job) => verifyRestorePoint(ctx, job.data),
    { connection: redisConnection(ctx.config.redisUrl), concurrency: 2 },
  );
  worker.on("failed", (job, err) => ctx.log.warn({ jobId: job?.id, err }, "integrity job failed"));
  return worker;
}
