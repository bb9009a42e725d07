// Missed backup, silent device and failing backup: computed per device from Postgres at `now`,
// in batches of devices, each batch one query (the newest commit, heartbeat and the last N
// finished runs of each device, all by index). Revoked devices raise nothing and their alerts
// resolve.
//
// Missed backup, schedule-aware. The agent reports its next scheduled run (nextRunAt) and its
// last run (lastRunAt) in every heartbeat; their difference is its schedule's period (a daily
// schedule: 24 h), 24 h when unknown. A backup is due at the first of: the last commit plus one
// period, and the reported next run if that lies after the last commit. It is missed once
// `now` is past that plus ALERT_MISSED_GRACE_HOURS. The period bound matters: a failing agent
// keeps moving its nextRunAt to tomorrow, the last commit does not move. A device that never
// committed is missed ALERT_FIRST_BACKUP_HOURS after enrollment.
import type { Ctx } from "../../context.ts";
import { ALERT, describeDevice, describeWhen, registerAlertEvaluator, registerAlertKind } from "./kinds.ts";
import { reconcile, type RaiseInput } from "./raise.ts";

const BATCH = 500;
const HOUR = 3_600_000;
const DEFAULT_PERIOD_MS = 24 * HOUR;
const MIN_PERIOD_MS = HOUR;
const MAX_PERIOD_MS = 31 * 24 * HOUR;

interface DeviceState {
  id: string;
  studioId: string;
  createdAt: Date;
  receivedAt: Date | null;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastCommitAt: Date | null;
  /** The newest finished runs, newest first. */
  results: string[] | null;
  starts: Date[] | null;
  codes: (string | null)[] | null;
}

export function schedulePeriodMs(d: Pick<DeviceState, "nextRunAt" | "lastRunAt">): number {
  if (!d.nextRunAt || !d.lastRunAt) return DEFAULT_PERIOD_MS;
  const p = d.nextRunAt.getTime() - d.lastRunAt.getTime();
  return p > 0 ? Math.min(MAX_PERIOD_MS, Math.max(MIN_PERIOD_MS, p)) : DEFAULT_PERIOD_MS;
}

/** When the device's next backup should have been committed by, before the grace. */
export function backupDueAt(d: Pick<DeviceState, "createdAt" | "nextRunAt" | "lastRunAt" | "lastCommitAt">, firstBackupMs: number): Date {
  if (!d.lastCommitAt) return new Date(d.createdAt.getTime() + firstBackupMs);
  let due = d.lastCommitAt.getTime() + schedulePeriodMs(d);
  if (d.nextRunAt && d.nextRunAt > d.lastCommitAt) due = Math.min(due, d.nextRunAt.getTime());
  return new Date(due);
}

async function batchOf(ctx: Ctx, after: string, runs: number): Promise<DeviceState[]> {
  return ctx.db.$queryRaw<DeviceState[]>`
    SELECT d."id", d."studioId", d."createdAt", h."receivedAt", h."nextRunAt", h."lastRunAt",
      (SELECT rp."createdAt" FROM "RestorePoint" rp WHERE rp."deviceId" = d."id" ORDER BY rp."createdAt" DESC LIMIT 1) AS "lastCommitAt",
      r."results", r."starts", r."codes"
    FROM "Device" d
    LEFT JOIN "DeviceHeartbeat" h ON h."deviceId" = d."id"
    LEFT JOIN LATERAL (
      SELECT array_agg(x."result" ORDER BY x."startedAt" DESC) AS "results",
             array_agg(x."startedAt" ORDER BY x."startedAt" DESC) AS "starts",
             array_agg(x."errorCode" ORDER BY x."startedAt" DESC) AS "codes"
      FROM (SELECT "result", "startedAt", "errorCode" FROM "DeviceRun" WHERE "deviceId" = d."id" AND "result" IS NOT NULL
            ORDER BY "startedAt" DESC LIMIT ${runs}) x
    ) r ON true
    WHERE d."revokedAt" IS NULL AND d."id" > ${after}::uuid
    ORDER BY d."id"
    LIMIT ${BATCH}`;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** The three device alerts for every device not revoked; returns the counts per kind. */
export async function evaluateDevices(ctx: Ctx, now: Date): Promise<Record<string, { raised: number; resolved: number }>> {
  const rules = ctx.config.alerts;
  const totals: Record<string, { raised: number; resolved: number }> = {};
  const add = (kind: string, r: { raised: number; resolved: number }) => {
    const t = (totals[kind] ??= { raised: 0, resolved: 0 });
    t.raised += r.raised;
    t.resolved += r.resolved;
  };
  for (let after = "00000000-0000-0000-0000-000000000000"; ;) {
    const batch = await batchOf(ctx, after, rules.failedRuns);
    if (!batch.length) break;
    after = batch[batch.length - 1]!.id;
    const silent: RaiseInput[] = [];
    const failing: RaiseInput[] = [];
    const missed: RaiseInput[] = [];
    for (const d of batch) {
      const base = { studioId: d.studioId, subject: d.id, deviceId: d.id };
      const isSilent = d.receivedAt !== null && now.getTime() - d.receivedAt.getTime() > rules.silentMs;
      if (isSilent) silent.push({ ...base, kind: ALERT.silentDevice, details: { lastHeartbeatAt: iso(d.receivedAt) } });
      const results = d.results ?? [];
      const isFailing = results.length >= rules.failedRuns && results.every((r) => r === "failed");
      if (isFailing) {
        failing.push({
          ...base,
          kind: ALERT.backupFailing,
          details: { failedRuns: results.length, since: iso(d.starts?.at(-1)), lastErrorCode: d.codes?.[0] ?? null },
        });
      }
      const due = backupDueAt(d, rules.firstBackupMs);
      const graceMs = d.lastCommitAt ? rules.missedGraceMs : 0;
      if (now.getTime() > due.getTime() + graceMs) {
        missed.push({
          ...base,
          kind: ALERT.missedBackup,
          details: {
            lastBackupAt: iso(d.lastCommitAt),
            dueAt: due.toISOString(),
            scheduleHours: Math.round(schedulePeriodMs(d) / HOUR),
            likelyCause: isSilent ? "silent" : isFailing ? "failing" : null,
          },
        });
      }
    }
    const scope = { deviceId: { in: batch.map((d) => d.id) } };
    add(ALERT.silentDevice, await reconcile(ctx, ALERT.silentDevice, scope, silent));
    add(ALERT.backupFailing, await reconcile(ctx, ALERT.backupFailing, scope, failing));
    add(ALERT.missedBackup, await reconcile(ctx, ALERT.missedBackup, scope, missed));
    if (batch.length < BATCH) break;
  }
  // A revoked device is gone on purpose: nothing about it stays open.
  const revoked = await ctx.db.alert.updateMany({
    where: {
      resolvedAt: null,
      kind: { in: [ALERT.silentDevice, ALERT.backupFailing, ALERT.missedBackup] },
      device: { revokedAt: { not: null } },
    },
    data: { openKey: null, resolvedAt: now },
  });
  if (revoked.count) add("revoked", { raised: 0, resolved: revoked.count });
  return totals;
}

registerAlertEvaluator("devices", evaluateDevices);

registerAlertKind({
  kind: ALERT.missedBackup,
  audience: "studio",
  title: "a backup did not arrive",
  action:
    "Check that the PC is on and the DataSafe agent is running (datasafe status). If a separate alert says the backup is failing, fix its cause first.",
  describe: (d, name) => [
    describeDevice(name),
    d.lastBackupAt ? `Last backup: ${describeWhen(d.lastBackupAt)}` : "No backup since the device was enrolled",
    `Expected by: ${describeWhen(d.dueAt)}`,
    ...(d.likelyCause === "silent" ? ["The device has stopped reporting: it may be off or the agent may be gone."] : []),
    ...(d.likelyCause === "failing" ? ["The device reports that its backups fail."] : []),
  ],
});

registerAlertKind({
  kind: ALERT.silentDevice,
  audience: "studio",
  title: "a device stopped reporting",
  action: "Turn the PC on, or reinstall the DataSafe agent if the PC was replaced. Revoke the device if it is gone for good.",
  describe: (d, name) => [describeDevice(name), `Last heard from: ${describeWhen(d.lastHeartbeatAt)}`],
});

registerAlertKind({
  kind: ALERT.backupFailing,
  audience: "studio",
  title: "backups are failing",
  action: "Open the agent's status on the PC (datasafe status) or call support with the error code.",
  describe: (d, name) => [
    describeDevice(name),
    `Failed runs in a row: ${Number(d.failedRuns ?? 0)}`,
    `Failing since: ${describeWhen(d.since)}`,
    `Last error code: ${String(d.lastErrorCode ?? "none")}`,
  ],
});
