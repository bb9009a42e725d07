// Alerts from the other features' state: the storage quota (services/quota.ts: 80 %, 95 %, over,
// full; one alert per level, so a studio crossing from 80 % to 95 % hears again, and going back
// under resolves it) and retention's pause signals (services/retention/: suspicious change, the
// ransomware signal, and flood), one alert per open signal, resolved when a person closes it.
// The owner is told at once; the restore points before a signal's start are the last known good.
import type { Ctx } from "../../context.ts";
import { quotaLevel } from "../quota.ts";
import { describeWhen, registerAlertEvaluator, registerAlertKind } from "./kinds.ts";
import { reconcile, type RaiseInput } from "./raise.ts";

export const SIGNAL_ALERT = { quota: "quota", suspiciousChange: "suspicious_change", flood: "flood" } as const;

const WARN_LEVELS = new Set(["warn80", "warn95", "over", "full"]);

async function evaluateQuotas(ctx: Ctx): Promise<Record<string, { raised: number; resolved: number }>> {
  const studios = await ctx.db.studio.findMany({
    where: { quotaBytes: { not: null } },
    select: { id: true, storedBytes: true, quotaBytes: true },
  });
  const firing: RaiseInput[] = [];
  for (const s of studios) {
    const q = quotaLevel(s, ctx.config.quota.gracePercent);
    if (!WARN_LEVELS.has(q.level)) continue;
    firing.push({
      studioId: s.id,
      kind: SIGNAL_ALERT.quota,
      subject: q.level,
      details: { level: q.level, used: q.used, quota: q.quota, percent: q.percent },
    });
  }
  return { [SIGNAL_ALERT.quota]: await reconcile(ctx, SIGNAL_ALERT.quota, {}, firing) };
}

async function evaluateRetentionSignals(ctx: Ctx): Promise<Record<string, { raised: number; resolved: number }>> {
  const open = await ctx.db.retentionSignal.findMany({ where: { closedAt: null } });
  const byKind = { [SIGNAL_ALERT.suspiciousChange]: [] as RaiseInput[], [SIGNAL_ALERT.flood]: [] as RaiseInput[] };
  for (const s of open) {
    const kind = s.kind === "flood" ? SIGNAL_ALERT.flood : SIGNAL_ALERT.suspiciousChange;
    byKind[kind].push({
      studioId: s.studioId,
      kind,
      subject: s.id,
      deviceId: s.deviceId,
      restorePointId: s.restorePointId,
      details: { since: s.since.toISOString(), ...(s.details as Record<string, unknown>) },
    });
  }
  const out: Record<string, { raised: number; resolved: number }> = {};
  for (const [kind, firing] of Object.entries(byKind)) out[kind] = await reconcile(ctx, kind, {}, firing);
  return out;
}

registerAlertEvaluator("quota", evaluateQuotas);
registerAlertEvaluator("retention-signals", evaluateRetentionSignals);

const gb = (v: unknown) => `${(Number(v ?? 0) / 1e9).toFixed(2)} GB`;

registerAlertKind({
  kind: SIGNAL_ALERT.quota,
  audience: "studio",
  title: "storage is running out",
  action: "Ask us for a larger plan, or shorten retention in the portal. Backups stop when the quota and its grace are used up.",
  describe: (d) => [`Used: ${gb(d.used)} of ${gb(d.quota)} (${String(d.percent ?? "?")} %)`, `Level: ${String(d.level)}`],
});

registerAlertKind({
  kind: SIGNAL_ALERT.suspiciousChange,
  audience: "studio",
  title: "a backup changed far more than usual (possible ransomware)",
  action:
    "Check the PC now. Retention is paused: nothing is deleted. The restore points before the time below are the last known good ones; restore from one of them if files were encrypted.",
  describe: (d, device) => [
    `Device: ${device ?? "unknown"}`,
    `Since: ${describeWhen(d.since)}`,
    `New data in that backup: ${gb(d.newBytes)} of ${gb(d.referencedBytes)}`,
  ],
});

registerAlertKind({
  kind: SIGNAL_ALERT.flood,
  audience: "studio",
  title: "a PC is making far more backups than usual",
  action: "Check the PC: a compromised PC can flood backups to push good ones out. Retention is paused: nothing is deleted.",
  describe: (d, device) => [
    `Device: ${device ?? "unknown"}`,
    `Since: ${describeWhen(d.since)}`,
    `Backups in a day: ${String(d.count ?? "?")}`,
  ],
});
