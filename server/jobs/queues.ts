// Queue names, job names, typed payloads and deterministic job ids. Redis holds only work in
// progress and may lose it all; Postgres is the truth, so every job can be re-created from
// database state, and a job id derived from that state makes re-created duplicates collapse.
import { Queue } from "bullmq";
import type { JobQueueProbe, QueuedJob } from "../services/alerts/kinds.ts";

export const INTEGRITY_QUEUE = "integrity";

export interface VerifyRestorePointJob {
  studioId: string;
  restorePointId: string;
  /** RestorePoint.verifyGeneration this job was requested for (request.ts). */
  generation?: number;
}

export interface ScrubSlotJob {
  /** floor(time / scrub interval): one fan-out per slot, whichever worker adds it first. */
  slot: number;
}

export interface ScrubStudioJob {
  studioId: string;
  slot: number;
}

/** Housekeeping on the same queue: delete reference pages never committed (tasks/expire-ref-pages.ts). */
export interface ExpireRefPagesJob {
  /** floor(time / sweep interval): one run per interval, whichever worker adds it first. */
  slot: number;
}

/** Housekeeping: delete runs past the history's length (tasks/expire-runs.ts). */
export interface ExpireRunsJob {
  slot: number;
}

/** Garbage collection of one studio (tasks/collect-studio.ts). */
export interface CollectStudioJob {
  studioId: string;
  /** floor(time / GC interval): one run per interval, whichever worker adds it first. */
  slot: number;
}

/** Retention of one studio (tasks/apply-retention.ts), once per retention slot. */
export interface ApplyRetentionJob {
  studioId: string;
  /** floor(time / RETENTION_INTERVAL_MINUTES). */
  slot: number;
}

/** Billing: the daily usage rows of `day` (YYYY-MM-DD, UTC, a day that has ended; tasks/record-usage.ts). */
export interface RecordUsageJob {
  day: string;
}

/** Alerts (tasks/alerts.ts): evaluation and delivery, once per sweep interval. */
export interface AlertsSlotJob {
  slot: number;
}

export interface IntegrityJobs {
  verify: VerifyRestorePointJob;
  "scrub-slot": ScrubSlotJob;
  "scrub-studio": ScrubStudioJob;
  "expire-ref-pages": ExpireRefPagesJob;
  "expire-runs": ExpireRunsJob;
  "collect-studio": CollectStudioJob;
  "apply-retention": ApplyRetentionJob;
  "record-usage": RecordUsageJob;
  "alerts-evaluate": AlertsSlotJob;
  "alerts-deliver": AlertsSlotJob;
}
export type IntegrityJobName = keyof IntegrityJobs;
export type IntegrityJobData = IntegrityJobs[IntegrityJobName];

// BullMQ refuses ":" in custom ids.
export const jobIds = {
  verify: (j: VerifyRestorePointJob) => `verify-${j.restorePointId}-g${j.generation ?? 0}`,
  "scrub-slot": (j: ScrubSlotJob) => `scrub-${j.slot}`,
  "scrub-studio": (j: ScrubStudioJob) => `scrub-${j.studioId}-${j.slot}`,
  "expire-ref-pages": (j: ExpireRefPagesJob) => `expire-ref-pages-${j.slot}`,
  "expire-runs": (j: ExpireRunsJob) => `expire-runs-${j.slot}`,
  "collect-studio": (j: CollectStudioJob) => `collect-${j.studioId}-${j.slot}`,
  "apply-retention": (j: ApplyRetentionJob) => `apply-retention-${j.studioId}-${j.slot}`,
  "record-usage": (j: RecordUsageJob) => `record-usage-${j.day}`,
  "alerts-evaluate": (j: AlertsSlotJob) => `alerts-evaluate-${j.slot}`,
  "alerts-deliver": (j: AlertsSlotJob) => `alerts-deliver-${j.slot}`,
} satisfies { [K in IntegrityJobName]: (data: IntegrityJobs[K]) => string };

/**
 * Retry policy, declared once: transient failures back off exponentially (5 attempts); permanent
 * ones fail at once (the processor throws UnrecoverableError). A completed job is removed at once
 * (its result is in Postgres; the id must be free for the next request of the same state); a
 * failed one is kept an hour, so the sweeper re-adding the same id is a no-op until then.
 */
export const JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: "exponential", delay: 2000 },
  removeOnComplete: true,
  removeOnFail: { age: 3600 },
} as const;

export function redisConnection(redisUrl: string) {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === "rediss:" ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

export type IntegrityQueue = Queue<IntegrityJobData, unknown, IntegrityJobName>;

export function integrityQueue(redisUrl: string, prefix: string): IntegrityQueue {
  return new Queue<IntegrityJobData, unknown, IntegrityJobName>(INTEGRITY_QUEUE, { connection: redisConnection(redisUrl), prefix });
}

/** Adds a job under its deterministic id (a no-op if that id is already queued, active or failed). */
export async function addJob<K extends IntegrityJobName>(queue: IntegrityQueue, name: K, data: IntegrityJobs[K]): Promise<void> {
  const jobId = (jobIds[name] as (d: IntegrityJobs[K]) => string)(data);
  await queue.add(name, data, { ...JOB_OPTIONS, jobId });
}

export const JOB_STATES = ["waiting", "active", "delayed", "failed", "completed", "prioritized"] as const;

/** Operator visibility: jobs per state (datasafe-admin queue, GET /metrics). */
export async function queueCounts(queue: IntegrityQueue): Promise<Record<string, number>> {
  return queue.getJobCounts(...JOB_STATES);
}

/**
 * The queue as the operator alerts read it (services/alerts/evaluate-operations.ts): the oldest
 * jobs waiting to start (since they were added, or since their last attempt for a retried one)
 * and the oldest running (since they started). BullMQ's times are the Redis clients' wall clock.
 */
export function queueProbe(queue: IntegrityQueue): JobQueueProbe {
  return {
    async oldest(limit) {
      const [waiting, active] = await Promise.all([
        queue.getJobs(["waiting", "prioritized"], 0, limit - 1, true),
        queue.getJobs(["active"], 0, limit - 1, true),
      ]);
      const out: QueuedJob[] = [];
      for (const j of waiting) {
        if (!j) continue;
        const since = Math.max(j.timestamp + (j.opts.delay ?? 0), j.processedOn ?? 0, j.finishedOn ?? 0);
        out.push({ id: String(j.id), name: j.name, state: "waiting", since: new Date(since) });
      }
      for (const j of active)
        if (j) out.push({ id: String(j.id), name: j.name, state: "active", since: new Date(j.processedOn ?? j.timestamp) });
      return out;
    },
  };
}
