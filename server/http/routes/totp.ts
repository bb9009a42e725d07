// The signed-in person's TOTP second factor: enrollment (the secret, shown once) and its
// confirmation with a current code (the recovery codes, shown once). services/users/second-factor.ts.
import { totpConfirmBody } from "../../../protocol/totp.ts";
import type { Ctx } from "../../context.ts";
import { beginTotp, confirmTotp } from "../../services/users/second-factor.ts";
import { actorOf, user } from "../middleware/user-auth.ts";
import type { Mount } from "../route-table.ts";

export function totpRoutes(mount: Mount, ctx: Ctx): void {
  mount("totpBegin", async (_req, res) => {
    res.status(201).json(await beginTotp(ctx, user(res)));
  });

  mount("totpConfirm", async (req, res) => {
    const { code } = totpConfirmBody.parse(req.body);
    res.json({ recoveryCodes: await confirmTotp(ctx, actorOf(req, user(res)), user(res), code) });
  });
}
