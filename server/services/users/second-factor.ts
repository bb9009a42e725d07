// The TOTP second factor of a person (protocol/totp.ts has the wire contract, totp.ts the
// algorithm): enrollment, confirmation with recovery codes, and the check at sign-in.
//   - A secret is in force only once a code made from it was accepted (confirm), so a person who
//     never finished enrolling is not locked out; beginning again replaces an unconfirmed secret,
//     and once in force it cannot be replaced through the API (a stolen session must not be
//     able to move the second factor to the thief's phone).
//   - Replays: the step of the last accepted code is stored, and the update that accepts a code
//     is conditional on it, so two sign-ins racing with one code cannot both pass. A recovery
//     code is spent by a conditional update too.
import type { Ctx } from "../../context.ts";
import { bytes } from "../../db.ts";
import { errors } from "../../errors.ts";
import { audit, type Actor } from "../audit.ts";
import { revokeUserSessions, type UserPrincipal } from "./sessions.ts";
import { base32, newRecoveryCodes, newTotpSecret, otpauthUri, recoveryCodeHash, verifyTotp } from "./totp.ts";

export async function beginTotp(ctx: Ctx, who: UserPrincipal): Promise<{ secret: string; otpauthUri: string }> {
  const secret = newTotpSecret();
  const n = await ctx.db.user.updateMany({
    where: { id: who.userId, totpEnabledAt: null },
    data: { totpSecret: bytes(secret), totpLastStep: null },
  });
  if (n.count !== 1) throw errors.conflict("TOTP_ALREADY_ENABLED", "a second factor is already in force for this account");
  return { secret: base32(secret), otpauthUri: otpauthUri(secret, who.email) };
}

export async function confirmTotp(ctx: Ctx, actor: Actor, who: UserPrincipal, code: string, now = new Date()): Promise<string[]> {
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: who.userId }, select: { totpSecret: true, totpEnabledAt: true } });
  if (user.totpEnabledAt) throw errors.conflict("TOTP_ALREADY_ENABLED", "a second factor is already in force for this account");
  if (!user.totpSecret) throw errors.conflict("TOTP_NOT_STARTED", "begin with POST /v1/me/totp");
  const step = verifyTotp(Buffer.from(user.totpSecret), code, now, null);
  if (step === null) throw errors.validation("the code does not match: check the authenticator app's clock and try the current code");
  const codes = newRecoveryCodes();
  await ctx.db.$transaction(async (tx) => {
    const n = await tx.user.updateMany({
      where: { id: who.userId, totpEnabledAt: null, totpSecret: user.totpSecret },
      data: { totpEnabledAt: now, totpLastStep: step },
    });
    if (n.count !== 1) throw errors.conflict("TOTP_ALREADY_ENABLED", "a second factor is already in force for this account");
    await tx.userRecoveryCode.deleteMany({ where: { userId: who.userId } });
    await tx.userRecoveryCode.createMany({ data: codes.map((c) => ({ userId: who.userId, codeHash: bytes(recoveryCodeHash(c)) })) });
    await audit(tx, actor, { action: "totp.enabled", target: who.userId });
  });
  return codes;
}

export interface SecondFactor {
  totp?: string | undefined;
  recoveryCode?: string | undefined;
}

/**
 * Whether the sign-in's second factor holds, for a person whose TOTP is in force; spends the
 * code. "missing": neither was given (the client should ask for one).
 */
export async function checkSecondFactor(
  ctx: Ctx,
  user: { id: string; totpSecret: Uint8Array | null; totpLastStep: number | null },
  f: SecondFactor,
  actor: Actor,
  now = new Date(),
): Promise<"ok" | "missing" | "wrong"> {
  if (f.totp) {
    const step = user.totpSecret && verifyTotp(Buffer.from(user.totpSecret), f.totp, now, user.totpLastStep);
    if (step === null || !user.totpSecret) return "wrong";
    const n = await ctx.db.user.updateMany({
      where: { id: user.id, OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }] },
      data: { totpLastStep: step },
    });
    return n.count === 1 ? "ok" : "wrong";
  }
  if (f.recoveryCode) {
    const n = await ctx.db.userRecoveryCode.updateMany({
      where: { userId: user.id, codeHash: bytes(recoveryCodeHash(f.recoveryCode)), usedAt: null },
      data: { usedAt: now },
    });
    if (n.count !== 1) return "wrong";
    const left = await ctx.db.userRecoveryCode.count({ where: { userId: user.id, usedAt: null } });
    await audit(ctx.db, actor, { action: "recovery-code.used", target: user.id, details: { left } });
    return "ok";
  }
  return "missing";
}

/**
 * The operator's way back for a person who lost both the app and the recovery codes
 * (datasafe-admin reset-totp): the factor and its codes are removed and every session ends, so
 * the person signs in with the password and enrolls again (staff: before any staff route).
 */
export async function resetTotp(ctx: Ctx, actor: Actor, userId: string): Promise<{ sessionsRevoked: number }> {
  return ctx.db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: userId }, data: { totpSecret: null, totpEnabledAt: null, totpLastStep: null } });
    await tx.userRecoveryCode.deleteMany({ where: { userId } });
    const sessionsRevoked = await revokeUserSessions(tx, actor, userId, "second factor reset");
    await audit(tx, actor, { action: "totp.reset", target: userId });
    return { sessionsRevoked };
  });
}
