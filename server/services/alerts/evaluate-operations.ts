// Operator alerts (issue 22): what the operators must hear of before a studio notices. None goes
// to a studio (audience "operator": every admin's e-mail, OPERATOR_WEBHOOK_URL, and support's
// queue at once). All are about the deployment, not a studio (studioId null), one open alert per
// subject (a partial unique index), resolved when the cause is gone:
//   job_failing     a kind of background job whose last run failed for good (after its retries),
//                   for at least one scope (a studio, or the deployment): JobOutcome, written by the
//                   worker. One alert per job name, whatever the number of studios it fails for.
//   storage_errors  the blob store refuses the readiness probe (ping: down, or our credentials
//                   refused), or a job's last failure was the store's (storage_unavailable,
//                   storage_auth, storage_error). Such failures count here, not under job_failing.
//   jobs_stuck      a job waiting to start, or running, for longer than ALERT_JOB_STUCK_MINUTES
//                   (the queue, read by the worker's evaluation: workers gone, too few, or a job
//                   hung on a call that never returns).
//   scrub_behind    studios whose last scrub (Studio.scrubbedAt, else their creation) is older
//                   than two scrub intervals: the scrub is not keeping up with its period.
// Texts carry no chunk id (a 64-hex run is replaced): error messages can name object keys.
import type { Ctx } from "../../context.ts";
import { describeWhen, registerAlertEvaluator, registerAlertKind, type EvaluateEnv } from "./kinds.ts";
import { reconcile, type RaiseInput } from "./raise.ts";

export const OPS_ALERT = {
  jobFailing: "job_failing",
  storageErrors: "storage_errors",
  jobsStuck: "jobs_stuck",
  scrubBehind: "scrub_behind",
} as const;

type Counts = Record<string, { raised: number; resolved: number }>;

const OPERATOR = { studioId: null, escalate: true } as const;
const PROBE_LIMIT = 50;

interface FailingGroup {
  name: string;
  storage: boolean;
  scopes: number;
  since: Date;
  latest: Date;
  lastError: string | null;
  sample: string[];
  codes: (string | null)[];
}

/** Jobs whose last outcome is a final failure, grouped by name and by "the store's fault". */
async function failingJobs(ctx: Ctx): Promise<FailingGroup[]> {
  return ctx.db.$queryRaw<FailingGroup[]>`
    SELECT "name", ("storageCode" IS NOT NULL) AS "storage", count(*)::int AS "scopes",
      min("lastFailureAt") AS "since", max("lastFailureAt") AS "latest",
      (array_agg("lastError" ORDER BY "lastFailureAt" DESC))[1] AS "lastError",
      (array_agg("scope" ORDER BY "lastFailureAt" DESC))[1:3] AS "sample",
      array_agg(DISTINCT "storageCode") AS "codes"
    FROM "JobOutcome"
    WHERE "lastFailureAt" IS NOT NULL AND ("lastSuccessAt" IS NULL OR "lastFailureAt" > "lastSuccessAt")
    GROUP BY "name", ("storageCode" IS NOT NULL)`;
}

async function probeStorage(ctx: Ctx): Promise<{ code: string; message: string } | null> {
  try {
    await ctx.blobs.ping();
    return null;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === "string" ? code : "storage_error", message: err instanceof Error ? err.message : String(err) };
  }
}

async function evaluateJobsAndStorage(ctx: Ctx): Promise<Counts> {
  const groups = await failingJobs(ctx);
  const failing: RaiseInput[] = groups
    .filter((g) => !g.storage)
    .map((g) => ({
      ...OPERATOR,
      kind: OPS_ALERT.jobFailing,
      subject: g.name,
      details: {
        job: g.name,
        scopes: g.scopes,
        since: g.since.toISOString(),
        latest: g.latest.toISOString(),
        lastError: g.lastError,
        sample: g.sample.map((s) => s || "deployment"),
      },
    }));
  const storageJobs = groups.filter((g) => g.storage);
  const probe = await probeStorage(ctx);
  const storage: RaiseInput[] = [];
  if (probe || storageJobs.length) {
    storage.push({
      ...OPERATOR,
      kind: OPS_ALERT.storageErrors,
      subject: "blob-store",
      details: {
        store: ctx.blobs.name,
        probe: probe?.code ?? "ok",
        probeError: probe?.message ?? null,
        failingJobs: storageJobs.map((g) => g.name),
        codes: [...new Set(storageJobs.flatMap((g) => g.codes).filter((c): c is string => Boolean(c)))],
        lastError: storageJobs.sort((a, b) => b.latest.getTime() - a.latest.getTime())[0]?.lastError ?? null,
      },
    });
  }
  return {
    [OPS_ALERT.jobFailing]: await reconcile(ctx, OPS_ALERT.jobFailing, { studioId: null }, failing),
    [OPS_ALERT.storageErrors]: await reconcile(ctx, OPS_ALERT.storageErrors, { studioId: null }, storage),
  };
}

async function evaluateStuckJobs(ctx: Ctx, now: Date, env: EvaluateEnv): Promise<Counts> {
  // Without the queue (a test, a process that is not a worker) nothing is known: leave it be.
  if (!env.queue) return {};
  const cutoff = now.getTime() - ctx.config.alerts.jobStuckMs;
  const stuck = (await env.queue.oldest(PROBE_LIMIT)).filter((j) => j.since.getTime() < cutoff);
  const firing: RaiseInput[] = [];
  if (stuck.length) {
    const oldest = stuck.reduce((a, b) => (a.since <= b.since ? a : b));
    firing.push({
      ...OPERATOR,
      kind: OPS_ALERT.jobsStuck,
      subject: "queue",
      details: {
        waiting: stuck.filter((j) => j.state === "waiting").length,
        running: stuck.filter((j) => j.state === "active").length,
        oldestSince: oldest.since.toISOString(),
        oldestJob: `${oldest.name} (${oldest.state})`,
        names: [...new Set(stuck.map((j) => j.name))],
      },
    });
  }
  return { [OPS_ALERT.jobsStuck]: await reconcile(ctx, OPS_ALERT.jobsStuck, { studioId: null }, firing) };
}

async function evaluateScrub(ctx: Ctx, now: Date): Promise<Counts> {
  const cutoff = new Date(now.getTime() - 2 * ctx.config.integrity.scrubIntervalMs);
  const [row] = await ctx.db.$queryRaw<{ n: number; oldest: Date | null }[]>`
    SELECT count(*)::int AS "n", min(coalesce("scrubbedAt", "createdAt")) AS "oldest"
    FROM "Studio" WHERE coalesce("scrubbedAt", "createdAt") < ${cutoff}::timestamp(3)`;
  const firing: RaiseInput[] = row?.n
    ? [
        {
          ...OPERATOR,
          kind: OPS_ALERT.scrubBehind,
          subject: "scrub",
          details: { studios: row.n, oldestScrub: row.oldest?.toISOString() ?? null },
        },
      ]
    : [];
  return { [OPS_ALERT.scrubBehind]: await reconcile(ctx, OPS_ALERT.scrubBehind, { studioId: null }, firing) };
}

registerAlertEvaluator("operations-jobs", (ctx) => evaluateJobsAndStorage(ctx));
registerAlertEvaluator("operations-queue", evaluateStuckJobs);
registerAlertEvaluator("operations-scrub", evaluateScrub);

/** No chunk id leaves in a message: object keys in error texts are keyed hashes of content. */
const clean = (v: unknown) => String(v ?? "").replace(/[0-9a-f]{64}/gi, "<id>");
const list = (v: unknown) => (Array.isArray(v) ? v.map(String).join(", ") : "");

registerAlertKind({
  kind: OPS_ALERT.jobFailing,
  audience: "operator",
  title: "a background job keeps failing",
  action:
    "Read the worker's log for this job (datasafe-admin queue shows the queue). It is retried on the next sweep; the alert resolves when it succeeds.",
  describe: (d) => [
    `Job: ${String(d.job)}`,
    `Failing for: ${Number(d.scopes ?? 0)} (e.g. ${list(d.sample)})`,
    `First failure: ${describeWhen(d.since)}`,
    `Last error: ${clean(d.lastError)}`,
  ],
});

registerAlertKind({
  kind: OPS_ALERT.storageErrors,
  audience: "operator",
  title: "the blob store is failing",
  action:
    "Check the storage service (S3 endpoint, bucket, credentials, disk). Uploads and integrity checks fail until it answers; nothing stored is lost.",
  describe: (d) => [
    `Store: ${String(d.store)}`,
    `Probe: ${String(d.probe)}${d.probeError ? ` (${clean(d.probeError)})` : ""}`,
    ...(list(d.failingJobs) ? [`Jobs failing on storage: ${list(d.failingJobs)} (${list(d.codes)})`] : []),
    ...(d.lastError ? [`Last job error: ${clean(d.lastError)}`] : []),
  ],
});

registerAlertKind({
  kind: OPS_ALERT.jobsStuck,
  audience: "operator",
  title: "background jobs are stuck",
  action: "Check that the workers run (datasafe-admin queue), and restart a worker whose job hangs. Nothing is lost: jobs are re-created.",
  describe: (d) => [
    `Waiting too long: ${Number(d.waiting ?? 0)}, running too long: ${Number(d.running ?? 0)}`,
    `Oldest: ${String(d.oldestJob)} since ${describeWhen(d.oldestSince)}`,
    `Jobs: ${list(d.names)}`,
  ],
});

registerAlertKind({
  kind: OPS_ALERT.scrubBehind,
  audience: "operator",
  title: "the scrub is falling behind",
  action: "Add worker capacity or lengthen SCRUB_PERIOD_DAYS; check job_failing alerts for scrub jobs.",
  describe: (d) => [`Studios not scrubbed for two intervals: ${Number(d.studios ?? 0)}`, `Oldest scrub: ${describeWhen(d.oldestScrub)}`],
});
