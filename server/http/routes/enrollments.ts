// Enrollment: the only /v1 routes authenticated by a one-use token instead of a device credential.
// Both are rate-limited per client address: a token is what an offline passphrase guess starts from.
import { Router } from "express";
import type { Ctx } from "../../context.ts";
import { enrollDevice, lookupEnrollment } from "../../services/enrollment.ts";
import { AddressLimiter, rateLimit } from "../middleware/rate-limit.ts";
import { enrollBody, enrollmentLookupBody } from "../../../protocol/schemas.ts";

export function enrollmentRoutes(ctx: Ctx): Router {
  const r = Router();
  const limited = rateLimit(new AddressLimiter(ctx.config.authRateLimitPerMinute));
  r.post("/enrollments/lookup", limited, async (req, res) => {
    const { token } = enrollmentLookupBody.parse(req.body);
    res.json(await lookupEnrollment(ctx, token));
  });
  r.post("/enrollments", limited, async (req, res) => {
    res.status(201).json(await enrollDevice(ctx, enrollBody.parse(req.body)));
  });
  return r;
}
