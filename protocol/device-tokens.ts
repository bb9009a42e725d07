// Device credentials (the wire contract): a short-lived bearer token, renewed without the
// passphrase by signing a server challenge with the device's certified Ed25519 key.
//   POST /v1/devices/challenge {deviceId}                    -> DeviceChallenge
//   POST /v1/devices/token     {deviceId, nonce, signature}  -> DeviceToken
// signature = Ed25519(device key, deviceTokenChallengeBytes(deviceId, nonce)), base64.
// A request with an expired token is answered 401 with the code TOKEN_EXPIRED: the only 401 a
// device may answer by renewing. Any other 401 (revoked, unknown, forged) is final. A refused
// renewal answers CHALLENGE_INVALID (protocol/api-errors.ts holds both codes).
import { z } from "zod";

/** The `aud` claim of a device token: it is good for the device API and nothing else. */
export const DEVICE_TOKEN_AUDIENCE = "datasafe-device-api";

/** Domain separation: a device key never signs a challenge by signing a certificate or a manifest root. */
export const DEVICE_TOKEN_CHALLENGE_PREFIX = "datasafe/v1/device-token\n";

export function deviceTokenChallengeBytes(deviceId: string, nonce: string): Uint8Array {
  return new TextEncoder().encode(`${DEVICE_TOKEN_CHALLENGE_PREFIX}${deviceId}\n${nonce}`);
}

const base64url = /^[A-Za-z0-9_-]+$/;
export const deviceChallengeBody = z.object({ deviceId: z.uuid() });
export const deviceTokenBody = z.object({
  deviceId: z.uuid(),
  nonce: z.string().min(16).max(200).regex(base64url, "must be base64url"),
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, "must be a base64 Ed25519 signature"),
});
export type DeviceTokenBody = z.infer<typeof deviceTokenBody>;

export interface DeviceChallenge {
  nonce: string;
  expiresAt: string;
}

export interface DeviceToken {
  accessToken: string;
  /** ISO 8601; the uploader renews shortly before it. */
  expiresAt: string;
}
