// Every /v1 route but enrollment and token renewal requires a device credential:
// `Authorization: Bearer <jwt>` (services/device-auth.ts: expiring, audience-bound, revocable).
// The principal (device and studio) is the only source of tenant scope for the services.
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { authenticateDevice, type DevicePrincipal } from "../../services/device-auth.ts";

export function requireDevice(ctx: Ctx): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer ([A-Za-z0-9._-]{1,2048})$/.exec(header);
    if (!match?.[1]) throw errors.unauthenticated();
    res.locals.device = await authenticateDevice(ctx, match[1]);
    next();
  };
}

export function device(res: Response): DevicePrincipal {
  return res.locals.device as DevicePrincipal;
}
