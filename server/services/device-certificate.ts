// Enrollment's proof that the passphrase holder certified this device: the certificate must be
// the studio sign key's Ed25519 signature (protocol/device-certificate.ts) over exactly the
// studio, name and key being enrolled. Without it a token alone (stolen from an e-mail) would
// add a device whose manifests every restore then refuses, or, for a first device, keys of the
// thief's choosing.
import { deviceCertificateBytes, deviceCertificateSchema } from "../../protocol/device-certificate.ts";
import { errors } from "../errors.ts";
import { studioSignPublicKey, verifyEd25519 } from "./integrity/signature.ts";

/** Strict base64 of exactly `size` bytes (Buffer.from skips junk silently), else null. */
function b64(value: string, size: number): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return null;
  const bytes = Buffer.from(value, "base64");
  return bytes.length === size ? bytes : null;
}

/**
 * Throws CERTIFICATE_INVALID unless `certificate` names `expected` and verifies under the sign
 * key of `keyset` (the studio's, or for a first device the one it brings).
 */
export function checkDeviceCertificate(
  keyset: unknown,
  certificate: unknown,
  expected: { studioId: string; deviceName: string; signPublicKey: string },
): void {
  const studioKey = studioSignPublicKey(keyset);
  if (!studioKey) throw errors.validation("keyset: signPublicKey must be a base64 Ed25519 public key");
  const parsed = deviceCertificateSchema.safeParse(certificate);
  if (!parsed.success) throw errors.certificateInvalid("certificate: malformed");
  const cert = parsed.data;
  if (cert.studioId !== expected.studioId || cert.deviceName !== expected.deviceName || cert.signPublicKey !== expected.signPublicKey) {
    throw errors.certificateInvalid("the certificate names another studio, device name or key");
  }
  const bytes = deviceCertificateBytes(cert);
  const signature = b64(cert.signature, 64);
  if (!bytes || !b64(cert.signPublicKey, 32) || !signature || !verifyEd25519(studioKey, Buffer.from(bytes), signature)) {
    throw errors.certificateInvalid("the certificate is not signed by the studio's key");
  }
}
