// Server-side check of a committed restore point: every referenced chunk's object exists and its
// bytes hash to the SHA-256 recorded at upload. The server holds no key, so this is all it can
// prove; decrypt-and-compare is the uploader's `verify`. Idempotent: it only reads.
import { createHash } from "node:crypto";
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import type { VerifyRestorePointJob } from "../queues.ts";

export interface VerifyResult {
  restorePointId: string;
  chunksChecked: number;
  bytesChecked: number;
  damaged: string[];
}

const ID = 32;
const BATCH = 500;

export async function verifyRestorePoint(ctx: Ctx, job: VerifyRestorePointJob): Promise<VerifyResult> {
  const rp = await ctx.db.restorePoint.findFirst({
    where: { id: job.restorePointId, studioId: job.studioId },
    select: { refs: true },
  });
  const result: VerifyResult = { restorePointId: job.restorePointId, chunksChecked: 0, bytesChecked: 0, damaged: [] };
  if (!rp) return result; // deleted since: nothing to verify
  const refs = Buffer.from(rp.refs);
  for (let i = 0; i < refs.length; i += ID * BATCH) {
    const ids: Buffer[] = [];
    for (let j = i; j < Math.min(refs.length, i + ID * BATCH); j += ID) ids.push(refs.subarray(j, j + ID));
    const rows = await ctx.db.chunk.findMany({ where: { studioId: job.studioId, id: { in: ids.map(bytes) } } });
    const found = new Set(rows.map((r) => Buffer.from(r.id).toString("hex")));
    for (const id of ids) if (!found.has(id.toString("hex"))) result.damaged.push(id.toString("hex"));
    for (const row of rows) {
      const ok = await ctx.blobs.read(row.objectKey).then(
        (data) => data.length === row.size && createHash("sha256").update(data).digest().equals(Buffer.from(row.sha256)),
        () => false,
      );
      result.chunksChecked++;
      result.bytesChecked += row.size;
      if (!ok) result.damaged.push(Buffer.from(row.id).toString("hex"));
    }
  }
  const level = result.damaged.length ? "error" : "info";
  ctx.log[level]({ ...result, damaged: result.damaged.slice(0, 20) }, "restore point verified");
  return result;
}
