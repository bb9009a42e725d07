// Accounts (issue 19): nobody chooses another person's password. An account is created without
// one and its invitation link sets it; a reset link replaces it. Links are one-use, expire, and
// only their SHA-256 is stored; datasafe-admin prints them until the alerts issue e-mails them.
// Changing a password or a role ends the person's sessions.
import { createHash, randomBytes } from "node:crypto";
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import { translateDbError } from "../../db-errors.ts";
import { errors } from "../../errors.ts";
import { audit, type Actor } from "../audit.ts";
import { hashPassword } from "./password.ts";
import { revokeUserSessions, roleOf } from "./sessions.ts";
import { takeAttempt, type Client } from "./sign-in-limits.ts";

export const INVITATION_TTL_MS = 7 * 86_400_000;
export const RESET_TTL_MS = 3600_000;

type Db = Ctx["db"];
type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export interface Link {
  userId: string;
  link: string;
  expiresAt: string;
}

const sha256 = (s: string) => bytes(createHash("sha256").update(s, "utf8").digest());

/** The token travels in the fragment: browsers never send it to the server nor in a Referer. */
async function issueLink(ctx: Ctx, tx: Tx, kind: "invitation" | "reset", userId: string, studioId: string | null): Promise<Link> {
  const token = `dsl_${randomBytes(32).toString("base64url")}`;
  const expiresAt = new Date(Date.now() + (kind === "invitation" ? INVITATION_TTL_MS : RESET_TTL_MS));
  await tx.userLinkToken.create({ data: { kind, userId, studioId, tokenHash: sha256(token), expiresAt } });
  const page = kind === "invitation" ? "invitation" : "reset-password";
  return { userId, link: `${ctx.config.publicUrl}/${page}#token=${token}`, expiresAt: expiresAt.toISOString() };
}

/** A staff account (support or admin) and its invitation. */
export async function createStaffUser(ctx: Ctx, actor: Actor, input: { email: string; role: "support" | "admin" }): Promise<Link> {
  try {
    return await ctx.db.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, staffRole: input.role } });
      const link = await issueLink(ctx, tx, "invitation", user.id, null);
      await audit(tx, actor, { action: "invitation.created", target: user.id, details: { email: input.email, role: input.role } });
      return link;
    });
  } catch (err) {
    if (translateDbError(err)?.code === "ALREADY_EXISTS")
      throw errors.conflict("USER_EXISTS", "an account with this e-mail address exists; change its role instead");
    throw err;
  }
}

/** Invites `email` to own the studio; the account is created (without a password) if needed. */
export async function inviteOwner(ctx: Ctx, actor: Actor, input: { studioId: string; email: string }, db: Tx | Db = ctx.db): Promise<Link> {
  const run = async (tx: Tx) => {
    const studio = await tx.studio.findUnique({ where: { id: input.studioId }, select: { id: true } });
    if (!studio) throw errors.notFound("studio");
    const user = await tx.user.upsert({ where: { email: input.email }, create: { email: input.email }, update: {} });
    const link = await issueLink(ctx, tx, "invitation", user.id, studio.id);
    await audit(tx, actor, {
      action: "invitation.created",
      studioId: studio.id,
      target: user.id,
      details: { email: input.email, role: "owner" },
    });
    return link;
  };
  return "$transaction" in db ? db.$transaction(run) : run(db);
}

/** A studio and its owner's invitation (the studio's contact address is the owner's). */
export async function createStudioWithOwner(
  ctx: Ctx,
  actor: Actor,
  input: { name: string; ownerEmail: string },
): Promise<{ studioId: string; invitation: Link }> {
  return ctx.db.$transaction(async (tx) => {
    // The operator's default plan (DEFAULT_QUOTA_GB; null: no quota), services/quota.ts.
    const quotaBytes = ctx.config.quota.defaultBytes === null ? null : BigInt(ctx.config.quota.defaultBytes);
    const studio = await tx.studio.create({ data: { name: input.name, ownerEmail: input.ownerEmail, quotaBytes } });
    await audit(tx, actor, { action: "studio.created", studioId: studio.id, target: studio.id, details: { name: input.name } });
    return { studioId: studio.id, invitation: await inviteOwner(ctx, actor, { studioId: studio.id, email: input.ownerEmail }, tx) };
  });
}

export async function passwordResetLink(ctx: Ctx, actor: Actor, email: string): Promise<Link> {
  const user = await ctx.db.user.findUnique({ where: { email } });
  if (!user) throw errors.notFound("user");
  return ctx.db.$transaction(async (tx) => {
    const link = await issueLink(ctx, tx, "reset", user.id, null);
    await audit(tx, actor, { action: "password-reset.created", target: user.id });
    return link;
  });
}

/** Consumes the link in `tx`, or throws LINK_INVALID (unknown, used, expired, other kind: one answer). */
async function consumeLink(tx: Tx, kind: "invitation" | "reset", token: string) {
  const row = await tx.userLinkToken.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
  if (!row || row.kind !== kind) throw errors.linkInvalid();
  const used = await tx.userLinkToken.updateMany({
    where: { id: row.id, usedAt: null, expiresAt: { gt: new Date() } },
    data: { usedAt: new Date() },
  });
  if (used.count !== 1) throw errors.linkInvalid();
  return row;
}

/**
 * Accepts an invitation: sets the password if the account has none (then one is required), and
 * adds the studio membership of an owner's invitation.
 */
export async function acceptInvitation(
  ctx: Ctx,
  input: { token: string; password?: string | undefined },
  client: Client,
): Promise<{ userId: string; email: string }> {
  await takeAttempt(ctx, "link", input.token, client);
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return ctx.db.$transaction(async (tx) => {
    const row = await consumeLink(tx, "invitation", input.token);
    if (!row.user.passwordHash && !passwordHash) throw errors.validation("password: this account has none yet; choose one");
    if (!row.user.passwordHash) await tx.user.update({ where: { id: row.userId }, data: { passwordHash } });
    if (row.studioId) {
      await tx.studioMember.upsert({
        where: { studioId_userId: { studioId: row.studioId, userId: row.userId } },
        create: { studioId: row.studioId, userId: row.userId },
        update: {},
      });
    }
    const actor: Actor = { id: row.userId, role: roleOf(row.user), label: row.user.email, address: client.address };
    await audit(tx, actor, { action: "invitation.accepted", studioId: row.studioId, target: row.userId });
    return { userId: row.userId, email: row.user.email };
  });
}

export async function resetPassword(
  ctx: Ctx,
  input: { token: string; password: string },
  client: Client,
): Promise<{ userId: string; email: string }> {
  await takeAttempt(ctx, "link", input.token, client);
  const passwordHash = await hashPassword(input.password);
  return ctx.db.$transaction(async (tx) => {
    const row = await consumeLink(tx, "reset", input.token);
    await tx.user.update({ where: { id: row.userId }, data: { passwordHash } });
    const actor: Actor = { id: row.userId, role: roleOf(row.user), label: row.user.email, address: client.address };
    await audit(tx, actor, { action: "password.changed", target: row.userId, details: { by: "reset link" } });
    await revokeUserSessions(tx, actor, row.userId, "password reset");
    return { userId: row.userId, email: row.user.email };
  });
}

/** Sets (or, with null, removes) a person's staff role and ends their sessions. */
export async function setStaffRole(ctx: Ctx, actor: Actor, input: { userId: string; role: "support" | "admin" | null }) {
  return ctx.db.$transaction(async (tx) => {
    const before = await tx.user.findUnique({ where: { id: input.userId } });
    if (!before) throw errors.notFound("user");
    const user = await tx.user.update({ where: { id: input.userId }, data: { staffRole: input.role } });
    await audit(tx, actor, { action: "role.changed", target: user.id, details: { from: roleOf(before), to: roleOf(user) } });
    const sessionsRevoked = await revokeUserSessions(tx, actor, user.id, "role changed");
    return { userId: user.id, role: roleOf(user), sessionsRevoked };
  });
}

export async function findUserByEmail(ctx: Ctx, email: string) {
  const user = await ctx.db.user.findUnique({ where: { email } });
  if (!user) throw errors.notFound("user");
  return user;
}
