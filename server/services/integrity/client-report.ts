// `datasafe verify` reports its decrypt-and-compare result here. It is recorded as the restore
// point's last client verification, and chunks it found not authentic are marked damaged so the
// next backup replaces them — but only when the report is signed with the studio key (a stolen
// device credential alone holds no such key) and only while the stored object is the one the
// client received (the reported ciphertext SHA-256 equals the row's), so a replayed report cannot
// condemn an object uploaded since. If the bytes differ, the server re-reads them itself.
// A report is also the only thing that confirms a repair (integrity/repair.ts): an OK report of a
// complete check (every chunk, not a subset), made after the repair, clears the point's
// "repaired, not yet verified by a studio PC" flag. The server's own re-read cannot: it holds no
// key, so junk ciphertext a stolen device uploaded as a "repair" passes it.
import type { Ctx } from "../../context.ts";
import { bytes, type Prisma } from "../../db.ts";
import { errors } from "../../errors.ts";
import { clientReport, REPORT_SIGNING_PREFIX, type ClientReport, type ClientReportResult } from "../../../protocol/integrity-schemas.ts";
import { metrics } from "../../metrics.ts";
import { propagateDamage } from "./propagate.ts";
import { requestVerification } from "./request.ts";
import { studioSignPublicKey, verifyEd25519 } from "./signature.ts";

/** A report must be this fresh: an old genuine "ok" report must not pass for a recent check. */
const MAX_AGE_MS = 24 * 3600 * 1000;
const MAX_FUTURE_MS = 5 * 60 * 1000;

export async function recordClientVerification(
  ctx: Ctx,
  who: { studioId: string; deviceId: string },
  restorePointId: string,
  body: { report: string; signature: string },
): Promise<ClientReportResult> {
  const studio = await ctx.db.studio.findUnique({ where: { id: who.studioId }, select: { keyset: true } });
  const key = studioSignPublicKey(studio?.keyset);
  if (!key) throw errors.conflict("KEYSET_MISSING", "the studio has no keys yet");
  const message = Buffer.concat([Buffer.from(REPORT_SIGNING_PREFIX), Buffer.from(body.report, "utf8")]);
  if (!verifyEd25519(key, message, Buffer.from(body.signature, "base64")))
    throw errors.forbidden("the report is not signed with the studio key");
  const report = parseReport(body.report);
  if (report.studioId !== who.studioId || report.restorePointId !== restorePointId) {
    throw errors.validation("the report names another studio or restore point");
  }
  const checkedAt = new Date(report.checkedAt);
  const age = Date.now() - checkedAt.getTime();
  if (age > MAX_AGE_MS || age < -MAX_FUTURE_MS) throw errors.validation("the report is too old or from the future");

  const summary = {
    checkedAt: report.checkedAt,
    deviceId: who.deviceId,
    subsetPercent: report.subsetPercent,
    chunksChecked: report.chunksChecked,
    bytesChecked: report.bytesChecked,
    ok: report.ok,
    problems: report.problems.slice(0, 50),
  } satisfies Prisma.InputJsonValue;
  // Only a newer report replaces the recorded one.
  const recorded = await ctx.db.restorePoint.updateMany({
    where: { id: restorePointId, studioId: who.studioId, OR: [{ clientVerifiedAt: null }, { clientVerifiedAt: { lt: checkedAt } }] },
    data: { clientVerifiedAt: checkedAt, clientVerifyOk: report.ok, clientVerify: summary },
  });
  if (
    recorded.count === 0 &&
    !(await ctx.db.restorePoint.findFirst({ where: { id: restorePointId, studioId: who.studioId }, select: { id: true } }))
  ) {
    throw errors.notFound("restore point");
  }

  if (report.ok && report.subsetPercent >= 100) {
    // checkedAt is the studio PC's clock (signed); a report from before the repair confirms nothing.
    await ctx.db.restorePoint.updateMany({
      where: { id: restorePointId, studioId: who.studioId, repairUnconfirmedAt: { lte: checkedAt } },
      data: { repairUnconfirmedAt: null },
    });
  }

  const newly: Buffer[] = [];
  let recheck = 0;
  for (const d of report.damagedChunks) {
    const id = bytes(Buffer.from(d.id, "hex"));
    const marked = d.sha256
      ? await ctx.db.chunk.updateMany({
          where: { studioId: who.studioId, id, sha256: bytes(Buffer.from(d.sha256, "hex")), state: { not: "damaged" } },
          data: { state: "damaged", problem: `client:${d.code}`, damagedAt: new Date() },
        })
      : { count: 0 };
    if (marked.count === 1) {
      newly.push(Buffer.from(id));
      metrics.damagedChunksFound.inc({ source: "client" });
      continue;
    }
    // Different bytes than recorded (or none received): force a re-read by the server.
    const reset = await ctx.db.chunk.updateMany({
      where: { studioId: who.studioId, id, state: { not: "damaged" } },
      data: { verifiedAt: null },
    });
    recheck += reset.count;
  }
  if (newly.length) await propagateDamage(ctx, who.studioId, newly);
  if (recheck) await requestVerification(ctx, who.studioId, [restorePointId]);
  if (!report.ok)
    ctx.log.warn(
      { studioId: who.studioId, restorePointId, problems: report.problems.length, markedDamaged: newly.length, recheck },
      "client verify found problems",
    );
  return { recorded: recorded.count === 1, markedDamaged: newly.length, recheck };
}

function parseReport(text: string): ClientReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw errors.validation("the report is not valid JSON");
  }
  return clientReport.parse(json);
}
