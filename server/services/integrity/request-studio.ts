// `datasafe-admin verify --studio ID` without --wait: the request is stored in Postgres (every
// chunk of the studio forgotten as verified, so verification re-reads it, and every restore
// point due), then the workers do it; a Redis flush meanwhile only delays it (sweeper).
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { requestVerification } from "./request.ts";

export async function requestStudioVerification(
  ctx: Ctx,
  studioId: string,
): Promise<{ studioId: string; restorePoints: number; queued: true }> {
  if (!(await ctx.db.studio.findUnique({ where: { id: studioId }, select: { id: true } }))) throw errors.notFound("studio");
  await ctx.db.chunk.updateMany({ where: { studioId, state: { not: "damaged" } }, data: { verifiedAt: null } });
  const points = await ctx.db.restorePoint.findMany({ where: { studioId }, select: { id: true } });
  await requestVerification(
    ctx,
    studioId,
    points.map((p) => p.id),
  );
  return { studioId, restorePoints: points.length, queued: true };
}
