// A studio's usage for its owners and staff (services/usage.ts): now against its quota, and the
// daily rows kept for billing. The route table admits owner, support and admin;
// middleware/user-auth.ts has already checked that an owner belongs to `:studioId` (else 404) and
// recorded staff's looks.
import { studioIdParams } from "../../../protocol/people.ts";
import { usageDaysQuery } from "../../../protocol/usage.ts";
import type { Ctx } from "../../context.ts";
import { currentUsage, usageDays } from "../../services/usage.ts";
import type { Mount } from "../route-table.ts";

export function usageRoutes(mount: Mount, ctx: Ctx): void {
  mount("studioUsage", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    res.json(await currentUsage(ctx, studioId));
  });

  mount("studioUsageDays", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const q = usageDaysQuery.parse(req.query);
    const days = await usageDays(ctx, { studioId, ...q });
    res.json({ studioId, days: days.map(({ studioId: _studio, ...d }) => d) });
  });
}
