// The studio's keyset (its keys, wrapped by the passphrase and the recovery key: opaque to the
// server), for a device of the studio: restore and verify unlock it with the passphrase.
import { Router } from "express";
import type { Ctx } from "../../context.ts";
import { getKeyset } from "../../services/enrollment.ts";
import { device } from "../middleware/auth.ts";

export function keysetRoutes(ctx: Ctx): Router {
  const r = Router();
  r.get("/keyset", async (_req, res) => {
    res.json(await getKeyset(ctx, device(res).studioId));
  });
  return r;
}
