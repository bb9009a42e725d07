// Verification overdue, one alert per studio: some restore point the server committed more than
// ALERT_VERIFY_OVERDUE_HOURS ago is still not verified (health pending). The verification job
// (integrity/verify-restore-point.ts) normally runs minutes after the commit; a backlog this old
// means the workers are down or falling behind, so support hears of it too (escalation).
import type { Ctx } from "../../context.ts";
import { ALERT, describeWhen, registerAlertEvaluator, registerAlertKind } from "./kinds.ts";
import { reconcile, type RaiseInput } from "./raise.ts";

export async function evaluateVerification(ctx: Ctx, now: Date): Promise<Record<string, { raised: number; resolved: number }>> {
  const cutoff = new Date(now.getTime() - ctx.config.alerts.verifyOverdueMs);
  const rows = await ctx.db.$queryRaw<{ studioId: string; oldest: Date; n: number }[]>`
    SELECT "studioId", min("createdAt") AS "oldest", count(*)::int AS "n"
    FROM "RestorePoint" WHERE "health" = 'pending' AND "createdAt" < ${cutoff}::timestamp(3)
    GROUP BY "studioId"`;
  const firing: RaiseInput[] = rows.map((r) => ({
    studioId: r.studioId,
    kind: ALERT.verificationOverdue,
    subject: r.studioId,
    details: { unverified: r.n, oldestCommittedAt: r.oldest.toISOString() },
  }));
  return { [ALERT.verificationOverdue]: await reconcile(ctx, ALERT.verificationOverdue, {}, firing) };
}

registerAlertEvaluator("verification", evaluateVerification);

registerAlertKind({
  kind: ALERT.verificationOverdue,
  audience: "studio",
  title: "restore points are waiting for verification",
  action: "Nothing to do on your side: our team is told. Your backups are stored; their check is late.",
  describe: (d) => [`Restore points not verified yet: ${Number(d.unverified ?? 0)}`, `Oldest since: ${describeWhen(d.oldestCommittedAt)}`],
});
