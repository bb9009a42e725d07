// Server-side verification of one restore point: every referenced chunk's object exists with the
// recorded size, and its bytes hash to the recorded SHA-256 when it is new (never re-read) or its
// last re-read is older than the scrub period; chunks re-read within the period only get a stat
// (the scrub re-reads them on its own schedule). The server holds no key: decrypt-and-compare is
// the uploader's `verify`.
//
// Idempotent and safe to run twice at once: results are conditioned on the object key checked,
// and the verdict is written only if the restore point's verification generation is still the
// one this run started with (request.ts).
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import { faultPoint } from "../../../protocol/fault-points.ts";
import { raiseDamageAlert, resolveDamageAlert } from "./alerts.ts";
import { CHECK_PARALLEL, checkChunks, type CheckMode } from "./check-chunk.ts";
import { chunkRows } from "./chunk-rows-by-id.ts";
import { recordChecks } from "./chunk-results.ts";
import { MAX_LISTED_DAMAGED, propagateDamage } from "./propagate.ts";
import { packIds, refAt, refCount } from "./refs.ts";

const BATCH = 500;

export interface VerifyJobInput {
  studioId: string;
  restorePointId: string;
  /** The generation the job was enqueued for; an older one than the row's is skipped. */
  generation?: number;
}

export interface VerifyOutcome {
  restorePointId: string;
  status: "verified" | "damaged" | "superseded" | "gone";
  chunksChecked: number;
  bytesChecked: number;
  damaged: string[];
}

export async function verifyRestorePoint(ctx: Ctx, job: VerifyJobInput): Promise<VerifyOutcome> {
  const outcome: VerifyOutcome = { restorePointId: job.restorePointId, status: "gone", chunksChecked: 0, bytesChecked: 0, damaged: [] };
  const rp = await ctx.db.restorePoint.findFirst({
    where: { id: job.restorePointId, studioId: job.studioId },
    select: { refs: true, verifyGeneration: true },
  });
  if (!rp) return outcome;
  const generation = job.generation ?? rp.verifyGeneration;
  if (rp.verifyGeneration !== generation) return { ...outcome, status: "superseded" };

  const refs = Buffer.from(rp.refs);
  const rereadBefore = new Date(Date.now() - ctx.config.integrity.scrubPeriodMs);
  const damaged: Buffer[] = [];
  const newly: Buffer[] = [];
  for (let i = 0; i < refCount(refs); i += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, refCount(refs) - i) }, (_, j) => refAt(refs, i + j));
    const rows = await chunkRows(ctx, job.studioId, ids);
    const found = new Set(rows.map((r) => Buffer.from(r.id).toString("hex")));
    for (const id of ids) if (!found.has(id.toString("hex"))) damaged.push(id); // no row: cannot be restored
    const toCheck = rows.filter((r) => {
      if (r.state !== "damaged") return true;
      damaged.push(Buffer.from(r.id)); // leaves `damaged` only through repair
      return false;
    });
    const mode = (r: (typeof rows)[number]): CheckMode =>
      r.state === "unverified" || !r.verifiedAt || r.verifiedAt < rereadBefore ? "read" : "stat";
    const checked = await checkChunks(ctx.blobs, toCheck, mode, CHECK_PARALLEL);
    for (const c of checked) {
      outcome.chunksChecked++;
      outcome.bytesChecked += c.result.bytes;
      if (c.result.problem) damaged.push(Buffer.from(c.row.id));
    }
    newly.push(...(await recordChecks(ctx, job.studioId, checked)));
  }
  await propagateDamage(ctx, job.studioId, newly, { except: job.restorePointId });
  faultPoint(ctx.config.faultPoint, "verify-before-verdict"); // kill -9 tests: a worker dying mid-job

  const ok = damaged.length === 0;
  const written = await ctx.db.restorePoint.updateMany({
    where: { id: job.restorePointId, verifyGeneration: generation },
    data: {
      health: ok ? "verified" : "damaged",
      ...(ok ? { verifiedAt: new Date() } : {}),
      damagedChunks: damaged.length,
      damagedChunkIds: ok ? null : bytes(packIds(damaged, MAX_LISTED_DAMAGED)),
      verifyDueAt: null,
    },
  });
  outcome.damaged = damaged.map((b) => b.toString("hex"));
  if (written.count === 0) return { ...outcome, status: "superseded" };
  if (ok) await resolveDamageAlert(ctx, job.studioId, job.restorePointId);
  else
    await raiseDamageAlert(ctx, job.studioId, job.restorePointId, {
      damagedChunks: damaged.length,
      chunkIds: outcome.damaged.slice(0, 20),
    });
  ctx.log[ok ? "info" : "error"]({ ...outcome, damaged: outcome.damaged.slice(0, 20) }, "restore point verified");
  return { ...outcome, status: ok ? "verified" : "damaged" };
}
