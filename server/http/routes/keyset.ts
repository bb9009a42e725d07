// The studio's keyset (its keys, wrapped by the passphrase and the recovery key: opaque to the
// server), for a device of the studio: restore and verify unlock it with the passphrase.
import type { Ctx } from "../../context.ts";
import { getKeyset } from "../../services/enrollment.ts";
import { device } from "../middleware/auth.ts";
import type { Mount } from "../route-table.ts";

export function keysetRoutes(mount: Mount, ctx: Ctx): void {
  mount("keyset", async (_req, res) => {
    res.json(await getKeyset(ctx, device(res).studioId));
  });
}
