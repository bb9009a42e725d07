// Support's desk: finding the studio of the person on the phone. Staff only (route table).
import { studioSearchQuery } from "../../../protocol/people.ts";
import type { Ctx } from "../../context.ts";
import { searchStudios } from "../../services/support-search.ts";
import type { Mount } from "../route-table.ts";

export function supportRoutes(mount: Mount, ctx: Ctx): void {
  mount("supportSearch", async (req, res) => {
    const { q, limit } = studioSearchQuery.parse(req.query);
    res.json({ studios: await searchStudios(ctx, q, limit) });
  });
}
