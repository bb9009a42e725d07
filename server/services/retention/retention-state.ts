// What owners and support read about a studio's retention: whether it is paused and why (its
// signals), and the list of deletions, undos, purges and holds (RetentionEvent), newest first.
import type { Ctx } from "../../context.ts";

export interface SignalRow {
  id: string;
  kind: "flood" | "suspicious-change";
  deviceId: string;
  since: Date;
  openedAt: Date;
  closedAt: Date | null;
  closedBy: string | null;
  restorePointId: string | null;
  why: string;
  details: Record<string, unknown>;
}

function why(kind: string, d: Record<string, unknown>): string {
  if (kind === "flood")
    return `a device committed ${String(d.count)} restore points in 24 h; its usual is ${String(d.medianPerDay)} a day (threshold ${String(d.threshold)})`;
  const mb = (x: unknown) => `${Math.round(Number(x) / 1048576)} MiB`;
  return `a restore point's new bytes (${mb(d.newBytes)}) are ${Math.round(Number(d.share) * 100)} % of it, far above the device's usual ${mb(d.medianNewBytes)}`;
}

export async function retentionState(
  ctx: Ctx,
  studioId: string,
): Promise<{ paused: boolean; why: string[]; signals: SignalRow[]; lastAppliedAt: Date | null }> {
  const [rows, studio] = await Promise.all([
    ctx.db.retentionSignal.findMany({ where: { studioId }, orderBy: { openedAt: "desc" }, take: 100 }),
    ctx.db.studio.findUnique({ where: { id: studioId }, select: { retentionAppliedAt: true } }),
  ]);
  const signals = rows.map((s) => {
    const details = (s.details ?? {}) as Record<string, unknown>;
    return {
      id: s.id,
      kind: s.kind as SignalRow["kind"],
      deviceId: s.deviceId,
      since: s.since,
      openedAt: s.openedAt,
      closedAt: s.closedAt,
      closedBy: s.closedBy,
      restorePointId: s.restorePointId,
      why: why(s.kind, details),
      details,
    };
  });
  const open = signals.filter((s) => s.closedAt === null);
  return { paused: open.length > 0, why: open.map((s) => s.why), signals, lastAppliedAt: studio?.retentionAppliedAt ?? null };
}

export async function listRetentionEvents(ctx: Ctx, studioId: string, limit: number) {
  const rows = await ctx.db.retentionEvent.findMany({ where: { studioId }, orderBy: [{ at: "desc" }, { id: "desc" }], take: limit });
  return rows.map((r) => ({ ...r, id: r.id.toString() }));
}
