// Device token renewal (protocol/device-tokens.ts): unauthenticated by a token, since the one the
// device holds may have expired; the proof is the device key's signature over the challenge.
// Rate-limited per client address like enrollment.
import { Router } from "express";
import { deviceChallengeBody, deviceTokenBody } from "../../../protocol/device-tokens.ts";
import type { Ctx } from "../../context.ts";
import { issueChallenge, redeemChallenge } from "../../services/device-tokens.ts";
import { AddressLimiter, rateLimit } from "../middleware/rate-limit.ts";

export function deviceTokenRoutes(ctx: Ctx): Router {
  const r = Router();
  const limited = rateLimit(new AddressLimiter(ctx.config.authRateLimitPerMinute));
  r.post("/devices/challenge", limited, async (req, res) => {
    const { deviceId } = deviceChallengeBody.parse(req.body);
    res.json(await issueChallenge(ctx, deviceId));
  });
  r.post("/devices/token", limited, async (req, res) => {
    res.json(await redeemChallenge(ctx, deviceTokenBody.parse(req.body)));
  });
  return r;
}
