// Token renewal without the passphrase: the device proves it holds the Ed25519 key the studio
// certified at enrollment (Device.signPublicKey) by signing a server challenge, and gets a fresh
// device token (device-auth.ts). A PC that was off for months renews the same way; a revoked
// device cannot (both steps read the device row, and the redeeming UPDATE requires it unrevoked).
//
// Challenges are stateless, not rows: nonce = v1 | issuedAt (ms) | 16 random bytes | HMAC of
// those and the device id under a key derived from the JWT secret. Issuing one is
// unauthenticated, so a table of them would let anyone who knows a device id fill it and would
// need a sweeper; a MAC costs nothing to keep. Single use comes from one conditional UPDATE of the
// device row on redemption: Device.tokenChallengeAt moves forward to the challenge's issue time
// and a challenge not issued after it is refused, so a captured (nonce, signature) pair is worth
// nothing once redeemed, and any challenge is worth nothing after CHALLENGE_TTL_MS. Two
// processes of one PC renewing at once: the older challenge loses and its client asks again.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { deviceTokenChallengeBytes, type DeviceChallenge, type DeviceToken, type DeviceTokenBody } from "../../protocol/device-tokens.ts";
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import { issueDeviceToken } from "./device-auth.ts";
import { verifyEd25519 } from "./integrity/signature.ts";

/** Time to sign and send the answer: one round trip and an Ed25519 signature. */
export const CHALLENGE_TTL_MS = 60_000;
/** Tolerated clock difference between API replicas (a challenge from a replica slightly ahead). */
const CLOCK_SKEW_MS = 5_000;
const VERSION = 1;
const BODY_BYTES = 1 + 8 + 16;
const MAC_BYTES = 32;

const keys = new Map<string, Buffer>();
function challengeKey(jwtSecret: string): Buffer {
  let key = keys.get(jwtSecret);
  if (!key) {
    // Domain separation: the JWT secret itself never MACs anything but JWTs.
    key = Buffer.from(hkdfSync("sha256", jwtSecret, Buffer.alloc(0), "datasafe/v1/device-challenge", 32));
    keys.set(jwtSecret, key);
  }
  return key;
}

function mac(ctx: Ctx, deviceId: string, body: Buffer): Buffer {
  return createHmac("sha256", challengeKey(ctx.config.jwtSecret)).update(deviceId).update(body).digest();
}

async function activeDevice(ctx: Ctx, deviceId: string) {
  const device = await ctx.db.device.findUnique({
    where: { id: deviceId },
    select: { id: true, studioId: true, signPublicKey: true, revokedAt: true },
  });
  if (!device || device.revokedAt) throw errors.unauthenticated("unknown or revoked device");
  return device;
}

export async function issueChallenge(ctx: Ctx, deviceId: string): Promise<DeviceChallenge> {
  await activeDevice(ctx, deviceId);
  const issuedAt = Date.now();
  const body = Buffer.alloc(BODY_BYTES);
  body[0] = VERSION;
  body.writeBigUInt64BE(BigInt(issuedAt), 1);
  randomBytes(16).copy(body, 9);
  const nonce = Buffer.concat([body, mac(ctx, deviceId, body)]).toString("base64url");
  return { nonce, expiresAt: new Date(issuedAt + CHALLENGE_TTL_MS).toISOString() };
}

/** The challenge's issue time if this server made it for this device and it is still fresh. */
function openNonce(ctx: Ctx, deviceId: string, nonce: string): Date {
  const raw = Buffer.from(nonce, "base64url");
  if (raw.length !== BODY_BYTES + MAC_BYTES || raw[0] !== VERSION) throw errors.challengeInvalid("malformed challenge");
  const body = raw.subarray(0, BODY_BYTES);
  if (!timingSafeEqual(raw.subarray(BODY_BYTES), mac(ctx, deviceId, body)))
    throw errors.challengeInvalid("not a challenge of this server for this device");
  const issuedAt = Number(body.readBigUInt64BE(1));
  const now = Date.now();
  if (issuedAt + CHALLENGE_TTL_MS <= now || issuedAt > now + CLOCK_SKEW_MS)
    throw errors.challengeInvalid("challenge expired; ask for a new one");
  return new Date(issuedAt);
}

export async function redeemChallenge(ctx: Ctx, input: DeviceTokenBody): Promise<DeviceToken> {
  const issuedAt = openNonce(ctx, input.deviceId, input.nonce);
  const device = await activeDevice(ctx, input.deviceId);
  const key = Buffer.from(device.signPublicKey, "base64");
  const signature = Buffer.from(input.signature, "base64");
  if (key.length !== 32 || !verifyEd25519(key, Buffer.from(deviceTokenChallengeBytes(device.id, input.nonce)), signature)) {
    throw errors.challengeInvalid("the signature is not the device's");
  }
  const redeemed = await ctx.db.device.updateMany({
    where: { id: device.id, revokedAt: null, OR: [{ tokenChallengeAt: null }, { tokenChallengeAt: { lt: issuedAt } }] },
    data: { tokenChallengeAt: issuedAt },
  });
  if (redeemed.count !== 1) throw errors.challengeInvalid("challenge already used; ask for a new one");
  return issueDeviceToken(ctx, device);
}
