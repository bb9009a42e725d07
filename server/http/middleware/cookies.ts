// The web app's credentials as cookies (protocol/people.ts): HttpOnly (no script reads the
// tokens), Secure, SameSite=Strict, and `__Host-` names (Secure, Path=/, no Domain: a sibling
// subdomain cannot set or shadow them). The CSRF cookie is readable by the page on purpose: it
// sends it back in a header, which a cross-site form cannot.
import type { Request, Response } from "express";
import { ACCESS_COOKIE, ACCESS_TOKEN_TTL_SECONDS, CSRF_COOKIE, REFRESH_COOKIE } from "../../../protocol/people.ts";

export function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const base = { httpOnly: true, secure: true, sameSite: "strict", path: "/" } as const;

export function setSessionCookies(
  res: Response,
  s: { accessToken: string; refreshToken: string; csrfToken: string; sessionExpiresAt: string },
): void {
  const sessionMs = Math.max(0, new Date(s.sessionExpiresAt).getTime() - Date.now());
  res.cookie(ACCESS_COOKIE, s.accessToken, { ...base, maxAge: ACCESS_TOKEN_TTL_SECONDS * 1000 });
  res.cookie(REFRESH_COOKIE, s.refreshToken, { ...base, maxAge: sessionMs });
  res.cookie(CSRF_COOKIE, s.csrfToken, { ...base, httpOnly: false, maxAge: sessionMs });
}

export function clearSessionCookies(res: Response): void {
  for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE]) res.clearCookie(name, { ...base, httpOnly: name !== CSRF_COOKIE });
}
