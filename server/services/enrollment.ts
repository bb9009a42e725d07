// Device enrollment in two steps, so that a wrong passphrase stores nothing:
//   1. lookupEnrollment: the token (not consumed) fetches the studio's opaque keyset, or null for
//      the first device; the uploader unwraps or creates it with the passphrase locally.
//   2. enrollDevice: consumes the token and creates the device in one transaction, once its
//      certificate verifies under the studio's sign key (device-certificate.ts). The first
//      device also installs the keyset, only if none exists: two racing first enrollments cannot
//      create two key sets (the loser gets KEYSET_EXISTS and its token is left unused).
// The keyset is wrapped by the passphrase, so whoever holds a token can guess the passphrase
// offline: tokens are one-use and short-lived (studios.ts), the lookup answers only an unused,
// unexpired token (so never after the enrollment that consumed it), and both steps are
// rate-limited per client address (http/middleware/rate-limit.ts).
import type { Ctx } from "../context.ts";
import { Prisma } from "../db.ts";
import { errors } from "../errors.ts";
import type { EnrollBody } from "../../protocol/schemas.ts";
import { audit } from "./audit.ts";
import { issueDeviceToken } from "./device-auth.ts";
import { checkDeviceCertificate } from "./device-certificate.ts";
import { hashToken } from "./studios.ts";

export async function lookupEnrollment(ctx: Ctx, token: string) {
  const row = await ctx.db.enrollmentToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { studio: true },
  });
  if (!row || row.usedAt || row.expiresAt <= new Date()) throw errors.tokenInvalid();
  return { studioId: row.studioId, studioName: row.studio.name, keyset: row.studio.keyset ?? null };
}

export async function enrollDevice(ctx: Ctx, input: EnrollBody, address: string | null = null) {
  const now = ctx.clock.now();
  const device = await ctx.db.$transaction(async (tx) => {
    const row = await tx.enrollmentToken.findUnique({ where: { tokenHash: hashToken(input.token) } });
    if (!row) throw errors.tokenInvalid();
    const consumed = await tx.enrollmentToken.updateMany({
      where: { id: row.id, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (consumed.count !== 1) throw errors.tokenInvalid();
    const expected = { studioId: row.studioId, deviceName: input.deviceName, signPublicKey: input.signPublicKey };

    if (input.keyset) {
      // A first device brings the keys: its certificate must verify against them.
      checkDeviceCertificate(input.keyset, input.certificate, expected);
      // Compare-and-set: only the first device of a studio installs the keys.
      const installed = await tx.studio.updateMany({
        where: { id: row.studioId, keyset: { equals: Prisma.DbNull } },
        data: { keyset: input.keyset as Prisma.InputJsonValue },
      });
      if (installed.count !== 1) {
        throw errors.conflict("KEYSET_EXISTS", "the studio already has keys; enroll again to use them");
      }
    } else {
      const studio = await tx.studio.findUniqueOrThrow({ where: { id: row.studioId } });
      if (studio.keyset === null) throw errors.conflict("KEYSET_MISSING", "the studio has no keys yet");
      checkDeviceCertificate(studio.keyset, input.certificate, expected);
    }
    const created = await tx.device.create({
      data: {
        studioId: row.studioId,
        name: input.deviceName,
        // Alerts read it (no first backup 26 hours after enrollment).
        createdAt: now,
        signPublicKey: input.signPublicKey,
        certificate: input.certificate as Prisma.InputJsonValue,
      },
    });
    await audit(
      tx,
      { id: created.id, role: "device", label: created.name, address },
      {
        action: "device.enrolled",
        studioId: created.studioId,
        target: created.id,
        details: { firstDevice: Boolean(input.keyset) },
      },
    );
    return created;
  });
  const { accessToken, expiresAt } = issueDeviceToken(ctx, device);
  return {
    deviceId: device.id,
    deviceName: device.name,
    studioId: device.studioId,
    firstDevice: Boolean(input.keyset),
    accessToken,
    accessTokenExpiresAt: expiresAt,
  };
}

export async function getKeyset(ctx: Ctx, studioId: string) {
  const studio = await ctx.db.studio.findUnique({ where: { id: studioId } });
  if (!studio?.keyset) throw errors.notFound("keyset");
  return { keyset: studio.keyset };
}
