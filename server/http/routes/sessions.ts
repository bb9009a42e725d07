// Sign-in, refresh, logout, and the one-use links (invitations, password resets). The tokens go
// to a script in the body (mode "bearer") or to the web app as cookies (mode "cookie": the body
// then holds only the CSRF token). protocol/people.ts describes both.
import type { Request } from "express";
import { REFRESH_COOKIE, CSRF_HEADER, acceptInvitationBody, refreshBody, resetPasswordBody, signInBody } from "../../../protocol/people.ts";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { acceptInvitation, resetPassword } from "../../services/users/accounts.ts";
import type { Client } from "../../services/users/sign-in-limits.ts";
import { csrfMatches, refresh, revokeSession, sessionOfRefreshToken, signIn, type IssuedSession } from "../../services/users/sessions.ts";
import { clearSessionCookies, cookie, setSessionCookies } from "../middleware/cookies.ts";
import { addressKey } from "../middleware/rate-limit.ts";
import { actorOf, user } from "../middleware/user-auth.ts";
import type { Mount } from "../route-table.ts";

const client = (req: Request): Client => ({ address: req.ip ?? null, limitKey: addressKey(req.ip) });

function answer(s: IssuedSession, mode: "bearer" | "cookie") {
  const times = { accessTokenExpiresAt: s.accessTokenExpiresAt, sessionExpiresAt: s.sessionExpiresAt };
  return mode === "bearer" ? { accessToken: s.accessToken, refreshToken: s.refreshToken, ...times } : { csrfToken: s.csrfToken, ...times };
}

export function sessionRoutes(mount: Mount, ctx: Ctx): void {
  mount("signIn", async (req, res) => {
    const body = signInBody.parse(req.body);
    const s = await signIn(
      ctx,
      { email: body.email, password: body.password, totp: body.totp, recoveryCode: body.recoveryCode },
      client(req),
    );
    if (body.mode === "cookie") setSessionCookies(res, s);
    res.json(answer(s, body.mode));
  });

  mount("refresh", async (req, res) => {
    const body = refreshBody.parse(req.body ?? {});
    const fromCookie = body.refreshToken === undefined ? cookie(req, REFRESH_COOKIE) : undefined;
    const token = body.refreshToken ?? fromCookie;
    if (!token || !/^dsr_[A-Za-z0-9_-]{43}$/.test(token)) throw errors.unauthenticated();
    if (fromCookie) {
      // A cookie comes with any request the browser sends: the page must prove it is ours.
      const sessionId = await sessionOfRefreshToken(ctx, token);
      if (!sessionId) throw errors.unauthenticated();
      if (!csrfMatches(ctx, sessionId, req.get(CSRF_HEADER))) throw errors.csrfFailed();
    }
    const s = await refresh(ctx, token, req.ip ?? null).catch((err: unknown) => {
      if (fromCookie) clearSessionCookies(res);
      throw err;
    });
    if (fromCookie) setSessionCookies(res, s);
    res.json(answer(s, fromCookie ? "cookie" : "bearer"));
  });

  mount("logout", async (req, res) => {
    const who = user(res);
    await revokeSession(ctx, actorOf(req, who), who.sessionId, "logout");
    clearSessionCookies(res);
    res.status(204).end();
  });

  mount("acceptInvitation", async (req, res) => {
    res.json(await acceptInvitation(ctx, acceptInvitationBody.parse(req.body), client(req)));
  });

  mount("resetPassword", async (req, res) => {
    res.json(await resetPassword(ctx, resetPasswordBody.parse(req.body), client(req)));
  });
}
