// Studios and their one-use enrollment tokens (operator operations, via datasafe-admin).
import { createHash, randomBytes } from "node:crypto";
import type { Ctx } from "../context.ts";
import { bytes } from "../db.ts";
import { errors } from "../errors.ts";

export function hashToken(token: string): Uint8Array<ArrayBuffer> {
  return bytes(createHash("sha256").update(token, "utf8").digest());
}

export async function createStudio(ctx: Ctx, input: { name: string; ownerEmail: string }): Promise<{ studioId: string }> {
  const name = input.name.trim();
  if (!name || name.length > 200) throw errors.validation("studio name must be 1-200 characters");
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.ownerEmail) || input.ownerEmail.length > 320) {
    throw errors.validation("owner e-mail is not a valid address");
  }
  const studio = await ctx.db.studio.create({ data: { name, ownerEmail: input.ownerEmail } });
  return { studioId: studio.id };
}

/** Enrollment tokens live an hour unless the operator asks otherwise, and a week at most. */
export const DEFAULT_ENROLLMENT_TOKEN_TTL_MS = 3600 * 1000;
export const MAX_ENROLLMENT_TOKEN_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Issues a one-use enrollment token. Only its SHA-256 is stored, so a copy of the database
 * cannot enroll devices. Short-lived: while it is valid it fetches the studio's wrapped keyset,
 * against which the passphrase can be guessed offline.
 */
export async function createEnrollmentToken(
  ctx: Ctx,
  input: { studioId: string; ttlMs: number },
): Promise<{ token: string; expiresAt: string }> {
  if (!(input.ttlMs > 0 && input.ttlMs <= MAX_ENROLLMENT_TOKEN_TTL_MS)) {
    throw errors.validation("ttl must be between 1 second and 7 days");
  }
  const studio = await ctx.db.studio.findUnique({ where: { id: input.studioId } });
  if (!studio) throw errors.notFound("studio");
  const token = `dse_${randomBytes(24).toString("base64url")}`;
  const expiresAt = new Date(Date.now() + input.ttlMs);
  await ctx.db.enrollmentToken.create({
    data: { studioId: studio.id, tokenHash: hashToken(token), expiresAt },
  });
  return { token, expiresAt: expiresAt.toISOString() };
}
