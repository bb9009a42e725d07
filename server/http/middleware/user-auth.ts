// Authentication and authorization of people (the route table's owner, support and admin
// audiences). The access token comes as `Authorization: Bearer` (scripts) or as the access
// cookie (the web app); a cookie-authenticated request that changes something must carry the
// session's CSRF token. Then:
//   - a role the route does not admit: 403 (says nothing about any studio);
//   - `:studioId` in the path: an owner who is not a member gets 404, exactly what a studio that
//     does not exist answers, so ids of other tenants cannot be probed; staff get 404 for a
//     studio that does not exist, and every look of theirs at a studio is audited (owners read
//     who looked, in their studio's audit log);
//   - staff (support, admin) without a TOTP second factor in force get 403
//     TOTP_ENROLLMENT_REQUIRED everywhere but their own account's routes (/v1/me*, /v1/auth/*).
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { ACCESS_COOKIE, CSRF_HEADER, isOwnAccountPath } from "../../../protocol/people.ts";
import type { RouteSpec } from "../../../protocol/routes.ts";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { audit, type Actor } from "../../services/audit.ts";
import { authenticateUser, csrfMatches, type UserPrincipal } from "../../services/users/sessions.ts";
import { cookie } from "./cookies.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The access token and how it came; null if none. */
export function accessToken(req: Request): { token: string; via: "bearer" | "cookie" } | null {
  const header = req.get("authorization");
  if (header !== undefined) {
    const m = /^Bearer ([A-Za-z0-9._-]{1,4096})$/.exec(header);
    if (!m?.[1]) throw errors.unauthenticated();
    return { token: m[1], via: "bearer" };
  }
  const c = cookie(req, ACCESS_COOKIE);
  return c ? { token: c, via: "cookie" } : null;
}

export function requireUser(ctx: Ctx, spec: RouteSpec): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const credential = accessToken(req);
    if (!credential) throw errors.unauthenticated();
    const who = await authenticateUser(ctx, credential.token);
    if (
      credential.via === "cookie" &&
      req.method !== "GET" &&
      req.method !== "HEAD" &&
      !csrfMatches(ctx, who.sessionId, req.get(CSRF_HEADER))
    ) {
      throw errors.csrfFailed();
    }
    if (!spec.audience.includes(who.role)) throw errors.forbidden("your role may not do this");
    // Staff without a second factor in force may only see to their own account: enroll it
    // (/v1/me/totp), read /v1/me, change the password, sign out.
    if (who.role !== "owner" && !who.totpEnabled && !isOwnAccountPath(spec.path)) throw errors.secondFactorEnrollmentRequired();
    const studioId = req.params.studioId as string | undefined;
    if (studioId !== undefined) {
      if (who.role === "owner") {
        if (!who.studioIds.has(studioId)) throw errors.notFound("studio");
      } else {
        if (!UUID.test(studioId) || !(await ctx.db.studio.findUnique({ where: { id: studioId }, select: { id: true } })))
          throw errors.notFound("studio");
        if (req.method === "GET")
          await audit(ctx.db, actorOf(req, who), {
            action: "support.lookup",
            studioId,
            target: `${req.method} ${String(req.route?.path)}`,
          });
      }
    }
    res.locals.user = who;
    next();
  };
}

export function user(res: Response): UserPrincipal {
  return res.locals.user as UserPrincipal;
}

export function actorOf(req: Request, who: UserPrincipal): Actor {
  return { id: who.userId, role: who.role, label: who.email, address: req.ip ?? null };
}
