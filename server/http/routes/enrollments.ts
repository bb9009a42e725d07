// Enrollment: the only /v1 routes authenticated by a one-use token instead of a device credential.
// Both are rate-limited per client address: a token is what an offline passphrase guess starts from.
import type { Ctx } from "../../context.ts";
import { enrollDevice, lookupEnrollment } from "../../services/enrollment.ts";
import { AddressLimiter, rateLimit } from "../middleware/rate-limit.ts";
import { enrollBody, enrollmentLookupBody } from "../../../protocol/schemas.ts";
import type { Mount } from "../route-table.ts";

export function enrollmentRoutes(mount: Mount, ctx: Ctx): void {
  const limited = rateLimit(new AddressLimiter(ctx.config.authRateLimitPerMinute));
  mount("enrollmentLookup", limited, async (req, res) => {
    const { token } = enrollmentLookupBody.parse(req.body);
    res.json(await lookupEnrollment(ctx, token));
  });
  mount("enroll", limited, async (req, res) => {
    res.status(201).json(await enrollDevice(ctx, enrollBody.parse(req.body), req.ip ?? null));
  });
}
