// Sign-in and sessions (issue 19). A sign-in opens a session: the family of its refresh tokens.
//   - Access token: a JWT, ES256 only (the algorithm is pinned: `none`, HS256 made with the public
//     key and other algorithms are refused), `kid` naming the signing key (token-keys.ts), issuer
//     and audience checked (a device token is not one of these, and the reverse), valid
//     ACCESS_TOKEN_TTL_SECONDS. Every request also reads its session, so logout and revocation
//     take effect at once, and the person's role is read fresh.
//   - Refresh token: 32 random bytes, stored as SHA-256, used once: a refresh hands out a new one.
//     Presenting a used one again means it was copied (or two clients raced): the whole session
//     is revoked, so whoever holds the newest token is signed out too.
//   - CSRF token (cookie mode): an HMAC of the session id, so it needs no storage and is bound to
//     the sign-in (protocol/people.ts).
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import jwt from "jsonwebtoken";
import { ACCESS_TOKEN_TTL_SECONDS, TOKEN_ISSUER, USER_TOKEN_AUDIENCE, type UserRole } from "../../../protocol/people.ts";
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import { errors } from "../../errors.ts";
import { audit, type Actor } from "../audit.ts";
import { hashPassword, needsRehash, verifyPassword } from "./password.ts";
import { checkSecondFactor, type SecondFactor } from "./second-factor.ts";
import { takeAttempt, type Client } from "./sign-in-limits.ts";
import { tokenKeys } from "./token-keys.ts";

export interface UserPrincipal {
  userId: string;
  email: string;
  role: UserRole;
  sessionId: string;
  /** Studios the person is an owner of. */
  studioIds: ReadonlySet<string>;
  /** A TOTP second factor is in force (second-factor.ts); staff need one for staff routes. */
  totpEnabled: boolean;
}

export interface IssuedSession {
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  sessionExpiresAt: string;
  csrfToken: string;
}

interface AccessClaims {
  sub: string;
  sid: string;
  typ: "user";
  exp: number;
}

const sha256 = (s: string) => bytes(createHash("sha256").update(s, "utf8").digest());
export const roleOf = (user: { staffRole: "support" | "admin" | null }): UserRole => user.staffRole ?? "owner";

const csrfKeys = new Map<string, Buffer>();
export function csrfToken(ctx: Ctx, sessionId: string): string {
  let key = csrfKeys.get(ctx.config.jwtSecret);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", ctx.config.jwtSecret, Buffer.alloc(0), "datasafe/v1/csrf", 32));
    csrfKeys.set(ctx.config.jwtSecret, key);
  }
  return createHmac("sha256", key).update(sessionId).digest("base64url");
}

export function csrfMatches(ctx: Ctx, sessionId: string, presented: string | undefined): boolean {
  const expected = Buffer.from(csrfToken(ctx, sessionId));
  const got = Buffer.from(presented ?? "");
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function signAccess(ctx: Ctx, userId: string, sessionId: string): { token: string; expiresAt: string } {
  const { kid, privateKey } = tokenKeys(ctx.config).signing;
  const iat = Math.floor(Date.now() / 1000);
  const token = jwt.sign({ sub: userId, sid: sessionId, typ: "user", iat }, privateKey, {
    algorithm: "ES256",
    keyid: kid,
    issuer: TOKEN_ISSUER,
    audience: USER_TOKEN_AUDIENCE,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
  });
  return { token, expiresAt: new Date((iat + ACCESS_TOKEN_TTL_SECONDS) * 1000).toISOString() };
}

async function newRefreshToken(db: Pick<Ctx["db"], "refreshToken">, sessionId: string, expiresAt: Date): Promise<string> {
  const token = `dsr_${randomBytes(32).toString("base64url")}`;
  await db.refreshToken.create({ data: { tokenHash: sha256(token), sessionId, expiresAt } });
  return token;
}

export async function signIn(ctx: Ctx, input: { email: string; password: string } & SecondFactor, client: Client): Promise<IssuedSession> {
  await takeAttempt(ctx, "sign-in", input.email, client);
  const user = await ctx.db.user.findUnique({ where: { email: input.email } });
  const ok = await verifyPassword(input.password, user?.passwordHash ?? null);
  if (!user || !ok) {
    await audit(
      ctx.db,
      { id: user?.id ?? null, role: "anonymous", label: input.email, address: client.address },
      {
        action: "sign-in.failed",
        target: user?.id ?? null,
      },
    );
    throw errors.invalidCredentials();
  }
  if (user.totpEnabledAt) {
    const actor: Actor = { id: user.id, role: roleOf(user), label: user.email, address: client.address };
    const second = await checkSecondFactor(ctx, user, input, actor);
    if (second !== "ok") {
      await audit(
        ctx.db,
        { ...actor, role: "anonymous", label: input.email },
        { action: "sign-in.failed", target: user.id, details: { secondFactor: second } },
      );
      throw second === "missing" ? errors.secondFactorRequired() : errors.invalidCredentials();
    }
  }
  if (needsRehash(user.passwordHash!)) {
    await ctx.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.password) } });
  }
  const expiresAt = new Date(Date.now() + ctx.config.sessionTtlMs);
  const session = await ctx.db.userSession.create({ data: { userId: user.id, expiresAt, address: client.address } });
  const refreshToken = await newRefreshToken(ctx.db, session.id, expiresAt);
  await audit(
    ctx.db,
    { id: user.id, role: roleOf(user), label: user.email, address: client.address },
    { action: "sign-in", target: session.id },
  );
  const access = signAccess(ctx, user.id, session.id);
  return {
    sessionId: session.id,
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    sessionExpiresAt: expiresAt.toISOString(),
    csrfToken: csrfToken(ctx, session.id),
  };
}

/** The session a refresh token belongs to, if the token was ever issued (used or not). */
export async function sessionOfRefreshToken(ctx: Ctx, token: string): Promise<string | null> {
  const row = await ctx.db.refreshToken.findUnique({ where: { tokenHash: sha256(token) }, select: { sessionId: true } });
  return row?.sessionId ?? null;
}

export async function refresh(ctx: Ctx, token: string, address: string | null): Promise<IssuedSession> {
  const now = new Date();
  const row = await ctx.db.refreshToken.findUnique({
    where: { tokenHash: sha256(token) },
    include: { session: { include: { user: true } } },
  });
  if (!row) throw errors.unauthenticated();
  const { session } = row;
  const actor: Actor = { id: session.userId, role: roleOf(session.user), label: session.user.email, address };
  if (session.revokedAt || session.expiresAt <= now) throw errors.unauthenticated();
  const claimed = row.usedAt
    ? 0
    : (await ctx.db.refreshToken.updateMany({ where: { tokenHash: row.tokenHash, usedAt: null }, data: { usedAt: now } })).count;
  if (claimed !== 1) {
    await revokeSession(ctx, actor, session.id, "refresh token reused");
    await audit(ctx.db, actor, { action: "refresh-token.reused", target: session.id });
    throw errors.unauthenticated();
  }
  const refreshToken = await newRefreshToken(ctx.db, session.id, session.expiresAt);
  const access = signAccess(ctx, session.userId, session.id);
  return {
    sessionId: session.id,
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    sessionExpiresAt: session.expiresAt.toISOString(),
    csrfToken: csrfToken(ctx, session.id),
  };
}

/** Revokes one session (if not already); audited. */
export async function revokeSession(ctx: Ctx, actor: Actor, sessionId: string, reason: string): Promise<void> {
  const done = await ctx.db.userSession.updateMany({
    where: { id: sessionId, revokedAt: null },
    data: { revokedAt: new Date(), revokedReason: reason },
  });
  if (done.count) await audit(ctx.db, actor, { action: "session.revoked", target: sessionId, details: { reason } });
}

/** Revokes every open session of a person but `except`; audited with the count. */
export async function revokeUserSessions(
  db: Pick<Ctx["db"], "userSession" | "auditEvent">,
  actor: Actor,
  userId: string,
  reason: string,
  except?: string,
): Promise<number> {
  const done = await db.userSession.updateMany({
    where: { userId, revokedAt: null, ...(except ? { id: { not: except } } : {}) },
    data: { revokedAt: new Date(), revokedReason: reason },
  });
  if (done.count) await audit(db, actor, { action: "session.revoked", target: userId, details: { reason, sessions: done.count } });
  return done.count;
}

function verifyAccess(ctx: Ctx, token: string): AccessClaims {
  const decoded = jwt.decode(token, { complete: true });
  const kid = decoded && typeof decoded.header.kid === "string" ? decoded.header.kid : null;
  const key = kid ? tokenKeys(ctx.config).verify(kid) : undefined;
  if (!key) throw errors.unauthenticated();
  let claims: AccessClaims;
  try {
    claims = jwt.verify(token, key, { algorithms: ["ES256"], issuer: TOKEN_ISSUER, audience: USER_TOKEN_AUDIENCE }) as AccessClaims;
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw errors.accessTokenExpired();
    throw errors.unauthenticated();
  }
  if (claims.typ !== "user" || typeof claims.sub !== "string" || typeof claims.sid !== "string" || typeof claims.exp !== "number") {
    throw errors.unauthenticated();
  }
  return claims;
}

export async function authenticateUser(ctx: Ctx, token: string): Promise<UserPrincipal> {
  const claims = verifyAccess(ctx, token);
  if (!/^[0-9a-f-]{36}$/.test(claims.sid)) throw errors.unauthenticated();
  const session = await ctx.db.userSession.findUnique({
    where: { id: claims.sid },
    include: { user: { include: { memberships: { select: { studioId: true } } } } },
  });
  if (!session || session.userId !== claims.sub || session.revokedAt || session.expiresAt <= new Date()) throw errors.unauthenticated();
  const { user } = session;
  return {
    userId: user.id,
    email: user.email,
    role: roleOf(user),
    sessionId: session.id,
    studioIds: new Set(user.memberships.map((m) => m.studioId)),
    totpEnabled: user.totpEnabledAt !== null,
  };
}

export async function changePassword(
  ctx: Ctx,
  who: UserPrincipal,
  input: { currentPassword: string; newPassword: string },
  client: Client,
): Promise<void> {
  await takeAttempt(ctx, "sign-in", who.email, client);
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: who.userId } });
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) throw errors.invalidCredentials();
  const passwordHash = await hashPassword(input.newPassword);
  const actor: Actor = { id: who.userId, role: who.role, label: who.email, address: client.address };
  await ctx.db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: who.userId }, data: { passwordHash } });
    await audit(tx, actor, { action: "password.changed", target: who.userId });
    await revokeUserSessions(tx, actor, who.userId, "password changed", who.sessionId);
  });
}
