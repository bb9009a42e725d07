// The bytes a studio signs to certify a device's Ed25519 key (uploader/format/FORMAT.md §5,
// "Device certificates"). Both sides need them: the uploader signs them at enrolment and checks
// them in every manifest root; the server checks them before it creates the device; the browser's
// restore page checks them too. Pure: no I/O, no crypto and no zod here (the page bundles this
// file), so each side verifies with its own Ed25519 (node:crypto, WebCrypto).

export const DEVICE_CERT_PREFIX = "datasafe/v1/device-cert\n";

export interface UnsignedDeviceCertificate {
  studioId: string;
  deviceName: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  signPublicKey: string;
  /** ISO 8601. */
  issuedAt: string;
}

export interface DeviceCertificate extends UnsignedDeviceCertificate {
  /** Ed25519 by the studio sign key over deviceCertificateBytes(), base64. */
  signature: string;
}

/**
 * `prefix | studioId \n deviceName \n signPublicKey \n issuedAt`, UTF-8; null when a field is not
 * a non-empty string free of '\n' and NUL, the rule that makes the join unambiguous.
 */
export function deviceCertificateBytes(c: UnsignedDeviceCertificate): Uint8Array | null {
  const fields: unknown[] = [c.studioId, c.deviceName, c.signPublicKey, c.issuedAt];
  for (const f of fields) {
    if (typeof f !== "string" || f.length === 0 || /[\n\0]/.test(f)) return null;
  }
  return new TextEncoder().encode(DEVICE_CERT_PREFIX + fields.join("\n"));
}
