// GET /v1/studios/:studioId/support-access: owners (and operators) read who from support looked
// at the studio. middleware/user-auth.ts has scoped the owner to the studio (else 404).
import { studioIdParams } from "../../../protocol/people.ts";
import { supportAccessQuery } from "../../../protocol/support-access.ts";
import type { Ctx } from "../../context.ts";
import { supportLooks } from "../../services/support-access.ts";
import type { Mount } from "../route-table.ts";

export function supportAccessRoutes(mount: Mount, ctx: Ctx): void {
  mount("studioSupportAccess", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const q = supportAccessQuery.parse(req.query);
    res.json({ looks: await supportLooks(ctx, studioId, { limit: q.limit, ...(q.since ? { since: new Date(q.since) } : {}) }) });
  });
}
