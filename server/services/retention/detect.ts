// Opens the pause signals (signals.ts holds the rules) from a studio's rows, at the start of each
// apply-retention run and so before anything is deleted: a signal only has to be open by the time
// the one job that deletes looks. Idempotent: a signal is unique on (studio, device, kind, since).
//
// New bytes are measured once per restore point and stored on it (newBytes, referencedBytes): the
// packs the server stored under the point's upload session (Upload.sessionId = restore point id)
// and the sizes of the chunks it references, counted by the server (never the device's word).
import type { Ctx } from "../../context.ts";
import { Prisma } from "../../db.ts";
import { detectFlood, HISTORY_DAYS, SIGNAL_DAY_MS, suspiciousChange } from "./signals.ts";

/** Points measured per run; the rest wait for the next run (a first run on a big studio). */
const MEASURE_BATCH = 500;

export async function measureNewBytes(ctx: Ctx, studioId: string): Promise<number> {
  const n = await ctx.db.$executeRaw`
    UPDATE "RestorePoint" r SET "newBytes" = m.new_bytes, "referencedBytes" = m.ref_bytes
    FROM (
      SELECT p.id,
             (SELECT coalesce(sum(u.size), 0) FROM "Upload" u
               WHERE u."studioId" = p."studioId" AND u."sessionId" = p.id AND u.state = 'stored')::bigint AS new_bytes,
             (SELECT coalesce(sum(c.size), 0) FROM generate_series(0, p."refCount" - 1) i
               JOIN "Chunk" c ON c."studioId" = p."studioId" AND c.id = substring(p.refs FROM i * 32 + 1 FOR 32))::bigint AS ref_bytes
      FROM "RestorePoint" p
      WHERE p."studioId" = ${studioId}::uuid AND p."newBytes" IS NULL
      ORDER BY p."createdAt"
      LIMIT ${MEASURE_BATCH}
    ) m
    WHERE r.id = m.id`;
  return n;
}

/** Opens the signals the studio's recent history shows; the number opened. */
export async function detectSignals(ctx: Ctx, studioId: string): Promise<number> {
  const now = ctx.clock.now();
  const from = new Date(now.getTime() - 2 * (HISTORY_DAYS + 1) * SIGNAL_DAY_MS);
  const [points, signals] = await Promise.all([
    ctx.db.restorePoint.findMany({
      where: { studioId, createdAt: { gte: from } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { id: true, deviceId: true, createdAt: true, newBytes: true, referencedBytes: true },
    }),
    ctx.db.retentionSignal.findMany({ where: { studioId }, select: { deviceId: true, kind: true, since: true, closedAt: true } }),
  ]);
  const byDevice = new Map<string, typeof points>();
  for (const p of points) byDevice.set(p.deviceId, [...(byDevice.get(p.deviceId) ?? []), p]);
  let opened = 0;
  for (const [deviceId, series] of byDevice) {
    const mine = signals.filter((s) => s.deviceId === deviceId);
    const last = (kind: string) => {
      const ks = mine.filter((s) => s.kind === kind);
      if (ks.some((s) => s.closedAt === null)) return "open" as const;
      return ks.reduce<Date | null>((m, s) => (s.closedAt && (!m || s.closedAt > m) ? s.closedAt : m), null);
    };
    const floodAfter = last("flood");
    if (floodAfter !== "open") {
      const f = detectFlood(
        series.map((p) => p.createdAt),
        floodAfter,
      );
      if (f) {
        const details = { count: f.count, threshold: f.threshold, medianPerDay: f.medianPerDay, detectedAt: f.detectedAt.toISOString() };
        opened += await open(ctx, { studioId, deviceId, kind: "flood", since: f.since, details, restorePointId: null });
      }
    }
    const changeAfter = last("suspicious-change");
    if (changeAfter !== "open") {
      for (const p of series) {
        if (p.newBytes === null || p.referencedBytes === null || (changeAfter && p.createdAt <= changeAfter)) continue;
        const start = p.createdAt.getTime() - HISTORY_DAYS * SIGNAL_DAY_MS;
        const history = series
          .filter((q) => q.createdAt.getTime() >= start && q.createdAt < p.createdAt && q.newBytes !== null)
          .map((q) => Number(q.newBytes));
        const c = suspiciousChange({ newBytes: Number(p.newBytes), referencedBytes: Number(p.referencedBytes), history });
        if (!c) continue;
        const details = { newBytes: Number(p.newBytes), referencedBytes: Number(p.referencedBytes), ...c };
        opened += await open(ctx, { studioId, deviceId, kind: "suspicious-change", since: p.createdAt, details, restorePointId: p.id });
        break; // one open signal of a kind per device
      }
    }
  }
  return opened;
}

async function open(
  ctx: Ctx,
  s: { studioId: string; deviceId: string; kind: string; since: Date; details: Prisma.InputJsonObject; restorePointId: string | null },
): Promise<number> {
  const r = await ctx.db.retentionSignal.createMany({ data: [{ ...s, openedAt: ctx.clock.now() }], skipDuplicates: true });
  if (r.count)
    ctx.log.warn({ studioId: s.studioId, deviceId: s.deviceId, kind: s.kind, details: s.details }, "retention paused: signal opened");
  return r.count;
}
