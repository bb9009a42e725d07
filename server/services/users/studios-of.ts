// The studios a person owns, as /v1/me lists them (staff reach every studio through search).
import type { Ctx } from "../../context.ts";
import type { UserPrincipal } from "./sessions.ts";

export async function myStudios(ctx: Ctx, who: UserPrincipal): Promise<Array<{ id: string; name: string }>> {
  if (who.studioIds.size === 0) return [];
  return ctx.db.studio.findMany({ where: { id: { in: [...who.studioIds] } }, select: { id: true, name: true }, orderBy: { name: "asc" } });
}
