// The signed-in person: who they are, their studios, their password.
import type { Request } from "express";
import { changePasswordBody } from "../../../protocol/people.ts";
import type { Ctx } from "../../context.ts";
import { changePassword } from "../../services/users/sessions.ts";
import { myStudios } from "../../services/users/studios-of.ts";
import { addressKey } from "../middleware/rate-limit.ts";
import { user } from "../middleware/user-auth.ts";
import type { Mount } from "../route-table.ts";

const client = (req: Request) => ({ address: req.ip ?? null, limitKey: addressKey(req.ip) });

export function meRoutes(mount: Mount, ctx: Ctx): void {
  mount("me", async (_req, res) => {
    const who = user(res);
    res.json({ userId: who.userId, email: who.email, role: who.role, studios: await myStudios(ctx, who) });
  });

  mount("changePassword", async (req, res) => {
    await changePassword(ctx, user(res), changePasswordBody.parse(req.body), client(req));
    res.status(204).end();
  });
}
