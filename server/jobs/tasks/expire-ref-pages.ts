// Job "expire-ref-pages": deletes abandoned reference pages (services/expire-ref-pages.ts). The
// sweeper adds one per sweep interval under a deterministic id, so copies from several workers
// collapse; it is idempotent, so a run twice in one interval costs one index probe.
import type { Ctx } from "../../context.ts";
import { expirePendingRefPages } from "../../services/expire-ref-pages.ts";
import type { ExpireRefPagesJob } from "../queues.ts";

export async function expireRefPagesTask(ctx: Ctx, _job: ExpireRefPagesJob): Promise<{ deleted: number }> {
  const result = await expirePendingRefPages(ctx);
  if (result.deleted) ctx.log.info(result, "expired abandoned reference pages");
  return result;
}
