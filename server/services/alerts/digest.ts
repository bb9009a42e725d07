// The daily digest: once a UTC day has ended, each owner of a studio hears what happened to its
// backups that day ("1 of 2 PCs backed up; 3 restore points, 2 verified; 312 GB stored"), unless
// they turned it off (AlertSettings.digestOptOut). Silence is not "backed up": a digest that says
// "no backup" is how an owner notices a PC nobody looked at.
//
// A digest is an alert of kind "daily_digest", born resolved like the revocation notice, one per
// studio and day, with its facts computed when it is written (the numbers of a finished day do not
// change) and sent through the outbox: at least once, one Message-ID. Written by the evaluation
// pass (evaluate.ts) for studios that have no digest since the day ended; a per-studio advisory
// lock and a re-check in the transaction make racing workers write it once. No webhook: a machine
// receiver has the events themselves. Zero knowledge: device names, counts, sizes and times only.
import type { Ctx } from "../../context.ts";
import { addDays, lastCompleteDay } from "../usage.ts";
import { describeWhen, registerAlertKind } from "./kinds.ts";
import { writeDeliveries } from "./plan-deliveries.ts";

export const DAILY_DIGEST = "daily_digest";

const BATCH = 200;
const startOf = (day: string) => new Date(`${day}T00:00:00.000Z`);

// A type, not an interface: it goes into a JSON column.
type DeviceDay = {
  name: string;
  backups: number;
  last: string | null;
  failedRuns: number;
};

/** What happened to one studio's backups during `day` (UTC). */
async function summarize(ctx: Ctx, studioId: string, day: string) {
  const from = startOf(day);
  const to = startOf(addDays(day, 1));
  const [devices, points, runs, openAlerts, studio] = await Promise.all([
    ctx.db.device.findMany({
      where: { studioId, createdAt: { lt: to }, OR: [{ revokedAt: null }, { revokedAt: { gte: from } }] },
      orderBy: { name: "asc" },
      select: { id: true, name: true },
    }),
    ctx.db.restorePoint.groupBy({
      by: ["deviceId", "health"],
      where: { studioId, createdAt: { gte: from, lt: to } },
      _count: { _all: true },
      _sum: { bytes: true },
      _max: { createdAt: true },
    }),
    ctx.db.deviceRun.groupBy({
      by: ["deviceId"],
      where: { studioId, result: "failed", startedAt: { gte: from, lt: to } },
      _count: { _all: true },
    }),
    ctx.db.alert.count({ where: { studioId, resolvedAt: null } }),
    ctx.db.studio.findUniqueOrThrow({ where: { id: studioId }, select: { storedBytes: true } }),
  ]);
  const health = { verified: 0, damaged: 0, pending: 0 };
  let bytes = 0;
  const perDevice: DeviceDay[] = devices.map((d) => {
    const mine = points.filter((p) => p.deviceId === d.id);
    const last = mine.reduce<Date | null>((a, p) => (p._max.createdAt && (!a || p._max.createdAt > a) ? p._max.createdAt : a), null);
    return {
      name: d.name,
      backups: mine.reduce((n, p) => n + p._count._all, 0),
      last: last?.toISOString() ?? null,
      failedRuns: runs.find((r) => r.deviceId === d.id)?._count._all ?? 0,
    };
  });
  for (const p of points) {
    health[p.health] += p._count._all;
    bytes += Number(p._sum.bytes ?? 0n);
  }
  return {
    day,
    devices: perDevice,
    backedUp: perDevice.filter((d) => d.backups > 0).length,
    restorePoints: points.reduce((n, p) => n + p._count._all, 0),
    bytes,
    health,
    openAlerts,
    storedBytes: Number(studio.storedBytes),
  };
}

/** Studios with an owner, existing before `day` ended, and no digest written since. */
async function studiosDue(ctx: Ctx, dayEnd: Date): Promise<string[]> {
  const rows = await ctx.db.$queryRaw<{ id: string }[]>`
    SELECT s."id" FROM "Studio" s
    WHERE s."createdAt" < ${dayEnd}::timestamp(3)
      AND EXISTS (SELECT 1 FROM "StudioMember" m WHERE m."studioId" = s."id")
      AND NOT EXISTS (SELECT 1 FROM "Alert" a WHERE a."studioId" = s."id" AND a."kind" = ${DAILY_DIGEST} AND a."createdAt" >= ${dayEnd}::timestamp(3))
    LIMIT ${BATCH}`;
  return rows.map((r) => r.id);
}

/** Writes the digest of the last complete day for every studio that has none yet; returns how many. */
export async function writeDigests(ctx: Ctx, now: Date): Promise<number> {
  const day = lastCompleteDay(now);
  const dayEnd = startOf(addDays(day, 1));
  let written = 0;
  for (;;) {
    const due = await studiosDue(ctx, dayEnd);
    for (const studioId of due) {
      const details = await summarize(ctx, studioId, day);
      await ctx.db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`alert-digest:${studioId}`}))`;
        const exists = await tx.alert.count({ where: { studioId, kind: DAILY_DIGEST, createdAt: { gte: dayEnd } } });
        if (exists) return;
        const alert = await tx.alert.create({
          data: { studioId, kind: DAILY_DIGEST, details, createdAt: now, resolvedAt: now, notifiedAt: now },
          select: { id: true, studioId: true, kind: true },
        });
        await writeDeliveries(tx, alert, "opened", now, { limit: false });
        written++;
      });
    }
    if (due.length < BATCH) return written;
  }
}

const gb = (v: unknown) => `${(Number(v ?? 0) / 1e9).toFixed(2)} GB`;

registerAlertKind({
  kind: DAILY_DIGEST,
  audience: "studio",
  notice: true,
  digest: true,
  title: "your backups yesterday",
  action:
    "Nothing to do if every PC backed up. A PC with no backup: check that it is on and the agent runs. You can turn this mail off in the portal.",
  describe: (d) => {
    const devices = Array.isArray(d.devices) ? (d.devices as DeviceDay[]) : [];
    const h = (d.health ?? {}) as Record<string, number>;
    return [
      `Day: ${String(d.day)} (UTC)`,
      `PCs that backed up: ${Number(d.backedUp ?? 0)} of ${devices.length}`,
      `Restore points: ${Number(d.restorePoints ?? 0)} (${gb(d.bytes)}), verified ${h.verified ?? 0}, damaged ${h.damaged ?? 0}, not yet checked ${h.pending ?? 0}`,
      ...devices.map(
        (x) =>
          `${x.name}: ${x.backups ? `${x.backups} backup${x.backups > 1 ? "s" : ""}, last ${describeWhen(x.last)}` : "no backup"}${x.failedRuns ? `, ${x.failedRuns} failed run${x.failedRuns > 1 ? "s" : ""}` : ""}`,
      ),
      `Open alerts: ${Number(d.openAlerts ?? 0)}`,
      `Stored in all: ${gb(d.storedBytes)}`,
    ];
  },
});
