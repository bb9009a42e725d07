// Staff's looks at one studio, newest first, for its owners: the audit log's support.lookup rows
// (written by http/middleware/user-auth.ts for every GET of support or admin on a studio route),
// through its (studioId, at desc) index. The staff member's address stays out: owners learn who
// and when, not where our staff work from.
import { routes } from "../../protocol/routes.ts";
import type { SupportLookView } from "../../protocol/support-access.ts";
import type { Ctx } from "../context.ts";

const summaries = new Map(Object.values(routes).map((r) => [`${r.method} ${r.path}`, r.summary]));

export async function supportLooks(ctx: Ctx, studioId: string, q: { since?: Date; limit: number }): Promise<SupportLookView[]> {
  const rows = await ctx.db.auditEvent.findMany({
    where: { studioId, action: "support.lookup", ...(q.since ? { at: { gte: q.since } } : {}) },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: q.limit,
    select: { at: true, actorLabel: true, actorRole: true, target: true },
  });
  return rows.map((r) => ({
    at: r.at.toISOString(),
    email: r.actorLabel,
    role: r.actorRole === "admin" ? "admin" : "support",
    what: r.target,
    summary: (r.target && summaries.get(r.target)) ?? null,
  }));
}
