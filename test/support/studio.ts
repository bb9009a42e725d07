// Studios and enrolled devices made in process (test/support/in-process.ts), through the same
// services the admin CLI and the enrollment routes call, with the uploader's real key format.
import type { Ctx } from "../../server/context.ts";
import { enrollBody, type EnrollBody } from "../../protocol/schemas.ts";
import { enrollDevice, lookupEnrollment } from "../../server/services/enrollment.ts";
import { OPERATOR } from "../../server/services/audit.ts";
import { createEnrollmentToken } from "../../server/services/studios.ts";
import { createStudioWithOwner } from "../../server/services/users/accounts.ts";
import { certifyDevice, createStudioKeys, newDeviceSigningKey, type Keyset, type StudioSecrets } from "../../uploader/format/index.ts";

/** Key derivation cheap enough for tests (the real parameters cost ~1 s per derivation). */
export const CHEAP_SCRYPT = { scrypt: { N: 1024, r: 8, p: 1 } };

export interface TestStudio {
  studioId: string;
  secrets: StudioSecrets;
  keyset: Keyset;
  /** A fresh one-use enrollment token. */
  token(): Promise<string>;
}

export interface TestDevice {
  studioId: string;
  deviceId: string;
  deviceName: string;
  accessToken: string;
}

export async function newTestStudio(ctx: Ctx, name = "Acme Photo"): Promise<TestStudio> {
  const { studioId } = await createStudioWithOwner(ctx, OPERATOR, { name, ownerEmail: "owner@acme.test" });
  const { keyset, secrets } = createStudioKeys("correct horse battery staple", CHEAP_SCRYPT);
  return {
    studioId,
    secrets,
    keyset,
    token: async () => (await createEnrollmentToken(ctx, OPERATOR, { studioId, ttlMs: 3_600_000 })).token,
  };
}

/**
 * An enrollment request for `deviceName`, its key certified by `signer`, validated as the route
 * validates it (the service's input).
 */
export function enrollmentRequest(token: string, studioId: string, deviceName: string, signer: StudioSecrets, keyset?: Keyset): EnrollBody {
  const signing = newDeviceSigningKey();
  const certificate = certifyDevice(signer, { studioId, deviceName, signPublicKey: signing.publicKey, issuedAt: new Date().toISOString() });
  return enrollBody.parse({
    token,
    deviceName,
    signPublicKey: signing.publicKey.toString("base64"),
    certificate,
    ...(keyset ? { keyset } : {}),
  });
}

/** Enrolls a device as the uploader does: the studio's first brings its keyset. */
export async function enrollTestDevice(ctx: Ctx, studio: TestStudio, deviceName = "front-desk"): Promise<TestDevice> {
  const token = await studio.token();
  const found = await lookupEnrollment(ctx, token);
  const r = await enrollDevice(
    ctx,
    enrollmentRequest(token, studio.studioId, deviceName, studio.secrets, found.keyset === null ? studio.keyset : undefined),
  );
  return { studioId: r.studioId, deviceId: r.deviceId, deviceName: r.deviceName, accessToken: r.accessToken };
}
