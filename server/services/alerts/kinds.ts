// The alert kind registry: every kind of alert, who hears of it and how its message reads. The
// evaluation job (evaluate.ts) runs every registered evaluator; delivery (message.ts) renders a
// kind's message from this entry. Kinds raised by other features (quota, suspicious change,
// flood) are added here with `registerAlertKind`, with or without an evaluator: an alert raised
// by a request (raise.ts) is delivered like one raised by the schedule.
//
// Contract for `describe`: zero knowledge. Only what the server knows in the clear may appear:
// times, device names, counts, error codes; never a file name or path (the server has none, and
// details must not carry one in).
import type { Ctx } from "../../context.ts";

export type AlertAudience =
  /** The studio's owners (e-mail, webhook) and, once escalated, support. */
  | "studio"
  /** Operators and support only: nothing is sent to the studio. */
  | "operator";

export interface AlertKind {
  kind: string;
  audience: AlertAudience;
  /** One line, the mail's subject after the studio's name. */
  title: string;
  /** What the owner (or support) should do. */
  action: string;
  /** A record rather than a condition (born resolved): its message has no "Since" line. */
  notice?: boolean;
  /** The daily digest: its own opt-out list (AlertSettings.digestOptOut), and no webhook. */
  digest?: boolean;
  /** The facts of one alert as short lines (zero knowledge, see above). */
  describe(details: Record<string, unknown>, deviceName: string | null): string[];
}

/** A job waiting to start or running, as the queue reports it (jobs/queues.ts translates BullMQ's). */
export interface QueuedJob {
  id: string;
  name: string;
  state: "waiting" | "active";
  /** Waiting since (or, when running, started at), by the queue's own clock. */
  since: Date;
}

/** The job queue as the operator alerts see it. */
export interface JobQueueProbe {
  /** The oldest jobs waiting and the oldest running, at most `limit` of each. */
  oldest(limit: number): Promise<QueuedJob[]>;
}

/** What the process running an evaluation sees besides Postgres and ctx. */
export interface EvaluateEnv {
  /** The worker's queue; absent (a test, the CLI): stuck jobs are not checked. */
  queue?: JobQueueProbe;
}

/** Computes alerts from Postgres state at `now`, raising and resolving them; returns counts to log. */
export type AlertEvaluator = (ctx: Ctx, now: Date, env: EvaluateEnv) => Promise<Record<string, { raised: number; resolved: number }>>;

const kinds = new Map<string, AlertKind>();
const evaluators = new Map<string, AlertEvaluator>();

export function registerAlertKind(kind: AlertKind): void {
  if (kinds.has(kind.kind)) throw new Error(`alert kind ${kind.kind} registered twice`);
  kinds.set(kind.kind, kind);
}

/** An evaluator run by every evaluation job (jobs/tasks/alerts.ts), under a unique name. */
export function registerAlertEvaluator(name: string, evaluate: AlertEvaluator): void {
  if (evaluators.has(name)) throw new Error(`alert evaluator ${name} registered twice`);
  evaluators.set(name, evaluate);
}

/** A kind nobody registered (an old row) still renders, generically. */
export function alertKind(kind: string): AlertKind {
  return (
    kinds.get(kind) ?? {
      kind,
      audience: "studio",
      title: kind.replaceAll("_", " "),
      action: "Open the portal for details.",
      describe: () => [],
    }
  );
}

export function alertEvaluators(): ReadonlyMap<string, AlertEvaluator> {
  return evaluators;
}

export const ALERT = {
  missedBackup: "missed_backup",
  silentDevice: "silent_device",
  backupFailing: "backup_failing",
  damaged: "restore_point_damaged",
  verificationOverdue: "verification_overdue",
  deliveryFailed: "delivery_failed",
} as const;

const when = (v: unknown) => (typeof v === "string" ? `${v.replace("T", " ").slice(0, 16)} UTC` : "unknown");
const device = (name: string | null) => `Device: ${name ?? "unknown"}`;

// The built-in kinds; their evaluators register themselves in evaluate-devices.ts and
// evaluate-verification.ts.
registerAlertKind({
  kind: ALERT.damaged,
  audience: "studio",
  title: "a restore point is damaged",
  action: "Run a backup now: it replaces the damaged data. Restore from an older restore point if you need files today.",
  describe: (d, name) => [device(name), `Damaged pieces: ${Number(d.damagedChunks ?? 0)}`],
});

registerAlertKind({
  kind: ALERT.deliveryFailed,
  audience: "operator",
  title: "alert delivery is failing",
  action: "Check the SMTP server or the studio's webhook endpoint; the messages are kept and can be resent.",
  describe: (d) => [`Channel: ${String(d.channel)}`, `Attempts: ${Number(d.attempts ?? 0)}`, `Last error: ${String(d.lastError ?? "")}`],
});

export const describeWhen = when;
export const describeDevice = device;
