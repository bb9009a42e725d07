// Operators' API (admin only): studios, staff accounts, roles, and the whole audit log.
import { adminAuditQuery, createStudioBody, createUserBody, setRoleBody, userIdParams } from "../../../protocol/people.ts";
import type { Ctx } from "../../context.ts";
import { listAudit } from "../../services/audit.ts";
import { createStaffUser, createStudioWithOwner, setStaffRole } from "../../services/users/accounts.ts";
import { actorOf, user } from "../middleware/user-auth.ts";
import type { Mount } from "../route-table.ts";

export function adminRoutes(mount: Mount, ctx: Ctx): void {
  mount("adminCreateStudio", async (req, res) => {
    res.status(201).json(await createStudioWithOwner(ctx, actorOf(req, user(res)), createStudioBody.parse(req.body)));
  });

  mount("adminCreateUser", async (req, res) => {
    res.status(201).json(await createStaffUser(ctx, actorOf(req, user(res)), createUserBody.parse(req.body)));
  });

  mount("adminSetRole", async (req, res) => {
    const { userId } = userIdParams.parse(req.params);
    const { role } = setRoleBody.parse(req.body);
    res.json(await setStaffRole(ctx, actorOf(req, user(res)), { userId, role }));
  });

  mount("adminAudit", async (req, res) => {
    const q = adminAuditQuery.parse(req.query);
    res.json({
      events: await listAudit(ctx, {
        limit: q.limit,
        ...(q.studioId ? { studioId: q.studioId } : {}),
        ...(q.since ? { since: new Date(q.since) } : {}),
      }),
    });
  });
}
