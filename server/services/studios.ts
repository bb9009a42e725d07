// Studios' one-use enrollment tokens (datasafe-admin, and owners and staff through the API).
// Creating a studio: users/accounts.ts (createStudioWithOwner), with its owner's invitation.
import { createHash, randomBytes } from "node:crypto";
import type { Ctx } from "../context.ts";
import { bytes } from "../db.ts";
import { errors } from "../errors.ts";
import { auditCreate, type Actor } from "./audit.ts";

export function hashToken(token: string): Uint8Array<ArrayBuffer> {
  return bytes(createHash("sha256").update(token, "utf8").digest());
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
  actor: Actor,
  input: { studioId: string; ttlMs: number },
): Promise<{ token: string; expiresAt: string }> {
  if (!(input.ttlMs > 0 && input.ttlMs <= MAX_ENROLLMENT_TOKEN_TTL_MS)) {
    throw errors.validation("ttl must be between 1 second and 7 days");
  }
  const studio = await ctx.db.studio.findUnique({ where: { id: input.studioId } });
  if (!studio) throw errors.notFound("studio");
  // The first device creates the studio's keys: support must not be the one to hand out that
  // token (a caller claiming to be the studio would get to choose the passphrase).
  if (actor.role === "support" && studio.keyset === null) {
    throw errors.forbidden("the studio has no keys yet: only an owner or an admin may create its first enrollment token");
  }
  const token = `dse_${randomBytes(24).toString("base64url")}`;
  const expiresAt = new Date(ctx.clock.now().getTime() + input.ttlMs);
  await ctx.db.$transaction([
    ctx.db.enrollmentToken.create({ data: { studioId: studio.id, tokenHash: hashToken(token), expiresAt } }),
    auditCreate(
      actor,
      { action: "enrollment-token.created", studioId: studio.id, details: { expiresAt: expiresAt.toISOString() } },
      ctx.db,
    ),
  ]);
  return { token, expiresAt: expiresAt.toISOString() };
}
