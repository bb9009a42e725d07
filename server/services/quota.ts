// Quotas (issue 20; docs/quotas-and-usage.md). What a studio uses is Studio.storedBytes: the sizes
// of its chunk rows, i.e. ciphertext after dedup and compression, kept by triggers as chunks are
// stored and collected. Its quota is Studio.quotaBytes (null: none; a new studio gets the
// operator's DEFAULT_QUOTA_GB). The rule, applied to every pack before it is granted (POST
// /v1/packs/upload-url) or stored (PUT /v1/packs, relayed):
//
//   after = used + pending + size, where pending is the bytes of the studio's grants not yet
//           reported and not expired (granted packs that may land any moment; an upper bound,
//           since chunks the studio already holds add nothing) and size is this pack's;
//   limit = quota + floor(quota * QUOTA_GRACE_PERCENT / 100);
//   after > limit  -> refused: 413 QUOTA_EXCEEDED with used, pending, quota, limit, upload;
//   after >= 80 % of quota -> admitted, and the grant carries a warning (level, numbers, message).
//
// So a studio just over its quota still gets tonight's backup in (up to the grace) and is told
// with each grant; past the grace every upload is refused with the same clear error, never a
// retry loop: the uploader stops the backup with the message, the agent does not retry it before
// its next scheduled run. Packs stored before the refusal stay (their chunk rows are in), so the
// run after the quota is raised or space freed sends only what is still missing. A backup whose
// data the studio holds already needs no grant and still commits its restore point.
//
// Not serialized: concurrent grants each see the others only once recorded, so a studio can go
// past the limit by at most the packs granted at the same instant (each at most MAX_PACK_BYTES,
// a few per device); the grace absorbs that.
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import type { QuotaLevelName, QuotaWarning } from "../../protocol/usage.ts";

/** What quotaLevel reads of a studio (a Studio row will do). */
export interface QuotaStudio {
  storedBytes: bigint | number;
  quotaBytes: bigint | number | null;
}

export interface QuotaState {
  level: QuotaLevelName;
  used: number;
  quota: number | null;
  /** quota + grace: uploads beyond it are refused. */
  limit: number | null;
  /** used / quota in percent, one decimal; null without a quota. */
  percent: number | null;
}

/** The warning thresholds, in percent of the quota (the alerts issue sends them). */
export const WARN_PERCENT = { warn80: 80, warn95: 95 } as const;

export function limitOf(quota: number, gracePercent: number): number {
  return quota + Math.floor((quota * gracePercent) / 100);
}

function levelOf(used: number, quota: number, limit: number): QuotaLevelName {
  if (used >= limit) return "full";
  if (used >= quota) return "over";
  if (used * 100 >= quota * WARN_PERCENT.warn95) return "warn95";
  if (used * 100 >= quota * WARN_PERCENT.warn80) return "warn80";
  return "ok";
}

/**
 * Where `studio` stands against its quota: for the usage route, the daily rows and the alerts
 * (which call this with a Studio row and `ctx.config.quota.gracePercent`).
 */
export function quotaLevel(studio: QuotaStudio, gracePercent: number): QuotaState {
  const used = Number(studio.storedBytes);
  if (studio.quotaBytes === null) return { level: "none", used, quota: null, limit: null, percent: null };
  const quota = Number(studio.quotaBytes);
  const limit = limitOf(quota, gracePercent);
  const percent = quota > 0 ? Math.round((used * 1000) / quota) / 10 : 100;
  return { level: levelOf(used, quota, limit), used, quota, limit, percent };
}

/** quotaLevel of a studio by id (404 if there is none). */
export async function studioQuotaLevel(ctx: Ctx, studioId: string): Promise<QuotaState> {
  const s = await ctx.db.studio.findUnique({ where: { id: studioId }, select: { storedBytes: true, quotaBytes: true } });
  if (!s) throw errors.notFound("studio");
  return quotaLevel(s, ctx.config.quota.gracePercent);
}

/** Decimal units, as storage is sold: 1 GB = 10^9 bytes. */
export function bytesText(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${n} bytes`;
}

/**
 * Admits an upload of `size` bytes for the studio, or throws QUOTA_EXCEEDED (the rule above).
 * Answers the warning to hand the device when the studio, with this upload, is at 80 % or more.
 */
export async function admitUpload(ctx: Ctx, studioId: string, size: number): Promise<QuotaWarning | undefined> {
  const [row] = await ctx.db.$queryRaw<Array<{ used: bigint; quota: bigint | null; pending: bigint }>>`
    SELECT s."storedBytes" AS used, s."quotaBytes" AS quota,
           CASE WHEN s."quotaBytes" IS NULL THEN 0 ELSE (
             SELECT coalesce(sum(u.size), 0)::bigint FROM "Upload" u
             WHERE u."studioId" = s.id AND u.state = 'granted' AND u."expiresAt" > ${ctx.clock.now()}::timestamp
           ) END AS pending
    FROM "Studio" s WHERE s.id = ${studioId}::uuid`;
  if (!row || row.quota === null) return undefined;
  const used = Number(row.used);
  const pending = Number(row.pending);
  const quota = Number(row.quota);
  const limit = limitOf(quota, ctx.config.quota.gracePercent);
  const after = used + pending + size;
  if (after > limit) {
    throw errors.quotaExceeded(
      `the studio's storage quota is used up: ${bytesText(used)} stored` +
        (pending ? ` and ${bytesText(pending)} being uploaded` : "") +
        ` of a ${bytesText(quota)} quota (uploads go on up to ${bytesText(limit)}); this upload of ${bytesText(size)} does not fit. ` +
        "Everything stored is kept; backups resume once the quota is raised or space is freed",
      { used, pending, quota, limit, upload: size },
    );
  }
  const state = quotaLevel({ storedBytes: after, quotaBytes: quota }, ctx.config.quota.gracePercent);
  if (state.level === "ok") return undefined;
  // `used` and `percent` count this upload and those in progress: where the studio is once they land.
  return {
    level: state.level,
    used: after,
    quota,
    limit,
    percent: state.percent ?? 0,
    message: warningText(state.percent ?? 0, quota, limit),
  };
}

function warningText(percent: number, quota: number, limit: number): string {
  if (percent >= 100) {
    return `the studio is over its storage quota (${percent} % of ${bytesText(quota)}): backups go on up to ${bytesText(limit)}, then stop; raise the quota or free space`;
  }
  return `the studio uses ${percent} % of its storage quota of ${bytesText(quota)}`;
}
