// The worker role: consumes the integrity queue and runs the sweeper. Several workers may run
// against one Redis: BullMQ gives each job to one worker at a time under a lock the worker
// renews; a worker that dies stops renewing, and after JOB_LOCK_SECONDS the job is "stalled" and
// handed to another worker. Jobs are idempotent, so finishing a half-done job again is safe.
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { Ctx } from "../context.ts";
import { metrics } from "../metrics.ts";
import { StorageError } from "../storage/index.ts";
import {
  INTEGRITY_QUEUE,
  redisConnection,
  type IntegrityJobData,
  type IntegrityJobName,
  type IntegrityJobs,
  type IntegrityQueue,
} from "./queues.ts";
import { recordJobOutcome } from "../services/job-outcomes.ts";
import { startSweeper } from "./sweeper.ts";
import { deliverAlertsTask, evaluateAlertsTask } from "./tasks/alerts.ts";
import { expireRefPagesTask } from "./tasks/expire-ref-pages.ts";
import { applyRetentionTask } from "./tasks/apply-retention.ts";
import { expireRunsTask } from "./tasks/expire-runs.ts";
import { recordUsageTask } from "./tasks/record-usage.ts";
import { scrubSlotTask, scrubStudioTask } from "./tasks/scrub.ts";
import { verifyTask } from "./tasks/verify-restore-point.ts";
import { collectStudioTask } from "./tasks/collect-studio.ts";

type AnyJob = Job<IntegrityJobData, unknown, IntegrityJobName>;

function run(ctx: Ctx, queue: IntegrityQueue, job: AnyJob): Promise<unknown> {
  switch (job.name) {
    case "verify":
      return verifyTask(ctx, job.data as IntegrityJobs["verify"]);
    case "scrub-slot":
      return scrubSlotTask(ctx, queue, job.data as IntegrityJobs["scrub-slot"]);
    case "scrub-studio":
      return scrubStudioTask(ctx, job.data as IntegrityJobs["scrub-studio"]);
    case "expire-ref-pages":
      return expireRefPagesTask(ctx, job.data as IntegrityJobs["expire-ref-pages"]);
    case "expire-runs":
      return expireRunsTask(ctx, job.data as IntegrityJobs["expire-runs"]);
    case "collect-studio":
      return collectStudioTask(ctx, job.data as IntegrityJobs["collect-studio"]);
    case "apply-retention":
      return applyRetentionTask(ctx, job.data as IntegrityJobs["apply-retention"]);
    case "record-usage":
      return recordUsageTask(ctx, job.data as IntegrityJobs["record-usage"]);
    case "alerts-evaluate":
      return evaluateAlertsTask(ctx, job.data as IntegrityJobs["alerts-evaluate"], queue);
    case "alerts-deliver":
      return deliverAlertsTask(ctx, job.data as IntegrityJobs["alerts-deliver"]);
    default:
      throw new UnrecoverableError(`unknown job ${String(job.name)}`);
  }
}

/** Retry by error class: permanent storage errors (bad credentials, unknown) never retry. */
function classify(err: unknown): unknown {
  if (err instanceof StorageError && !err.transient) {
    // The cause stays attached: the job's recorded outcome says the store failed (job-outcomes.ts).
    const unrecoverable = new UnrecoverableError(`${err.code}: ${err.message}`);
    unrecoverable.cause = err;
    return unrecoverable;
  }
  return err;
}

/** The studio a job is about ("" for the deployment's jobs): JobOutcome's scope. */
const scopeOf = (job: AnyJob) => {
  const studioId = (job.data as { studioId?: unknown }).studioId;
  return typeof studioId === "string" ? studioId : null;
};

/** Postgres keeps each job kind's last outcome for the operator alerts; a failed write only logs. */
function record(ctx: Ctx, job: AnyJob, err: unknown | null): void {
  recordJobOutcome(ctx, { name: job.name, scope: scopeOf(job) }, err).catch((e: unknown) =>
    ctx.log.warn({ err: e, jobId: job.id }, "could not record the job's outcome"),
  );
}

export function startWorker(ctx: Ctx, queue: IntegrityQueue): { close(): Promise<void> } {
  const { workerConcurrency, jobLockMs } = ctx.config.integrity;
  const worker = new Worker<IntegrityJobData, unknown, IntegrityJobName>(
    INTEGRITY_QUEUE,
    async (job) => {
      try {
        return await run(ctx, queue, job);
      } catch (err) {
        throw classify(err);
      }
    },
    {
      connection: redisConnection(ctx.config.redisUrl),
      prefix: ctx.config.redisPrefix,
      concurrency: workerConcurrency,
      lockDuration: jobLockMs,
      stalledInterval: Math.max(1000, Math.round(jobLockMs / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on("completed", (job) => {
    metrics.jobsProcessed.inc({ name: job.name });
    record(ctx, job, null);
  });
  worker.on("failed", (job, err) => {
    const final = !job || err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    metrics.jobsFailed.inc({ name: job?.name ?? "unknown", final: String(final) });
    if (job && final) record(ctx, job, err);
    ctx.log.warn({ jobId: job?.id, name: job?.name, attempt: job?.attemptsMade, final, err }, "integrity job failed");
  });
  worker.on("error", (err) => ctx.log.warn({ err }, "worker connection error"));
  const sweeper = startSweeper(ctx, queue);
  return {
    close: async () => {
      sweeper.stop();
      await worker.close();
    },
  };
}
