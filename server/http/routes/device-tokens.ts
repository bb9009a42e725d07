// Device token renewal (protocol/device-tokens.ts): unauthenticated by a token, since the one the
// device holds may have expired; the proof is the device key's signature over the challenge.
// Rate-limited per client address like enrollment.
import { deviceChallengeBody, deviceTokenBody } from "../../../protocol/device-tokens.ts";
import type { Ctx } from "../../context.ts";
import { issueChallenge, redeemChallenge } from "../../services/device-tokens.ts";
import { AddressLimiter, rateLimit } from "../middleware/rate-limit.ts";
import type { Mount } from "../route-table.ts";

export function deviceTokenRoutes(mount: Mount, ctx: Ctx): void {
  const limited = rateLimit(new AddressLimiter(ctx.config.authRateLimitPerMinute));
  mount("deviceChallenge", limited, async (req, res) => {
    const { deviceId } = deviceChallengeBody.parse(req.body);
    res.json(await issueChallenge(ctx, deviceId));
  });
  mount("deviceToken", limited, async (req, res) => {
    res.json(await redeemChallenge(ctx, deviceTokenBody.parse(req.body)));
  });
}
