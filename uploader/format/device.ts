import { generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { deviceCertificateBytes, type DeviceCertificate, type UnsignedDeviceCertificate } from "../../protocol/device-certificate.ts";
import { FormatError } from "./errors.ts";
import type { StudioSecrets } from "./keys.ts";
import { b64ToBytes, privateKeyToB64, publicKeyFromRaw, publicKeyToRaw } from "./rawkeys.ts";

/**
 * Each device signs its restore points with its own Ed25519 key; the studio key (unlocked
 * once at enrolment with the passphrase) certifies that device key. A restorer trusts only
 * the studio public key and so can reject restore points forged by the server.
 */
export interface DeviceSigningKey {
  privateKey: KeyObject;
  /** PKCS#8 DER, base64: what the device state file stores. */
  privateKeyB64: string;
  publicKey: Buffer;
}

export function newDeviceSigningKey(): DeviceSigningKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  return { privateKey, privateKeyB64: privateKeyToB64(privateKey), publicKey: publicKeyToRaw(privateKey) };
}

export type { DeviceCertificate, UnsignedDeviceCertificate };

export interface CertifyRequest {
  studioId: string;
  deviceName: string;
  signPublicKey: Buffer;
  issuedAt: string;
}

/** protocol/device-certificate.ts: the server checks the same bytes before it creates a device. */
export function certificateBytes(c: UnsignedDeviceCertificate): Buffer {
  const bytes = deviceCertificateBytes(c);
  if (!bytes) throw new FormatError("BAD_CERTIFICATE", "certificate fields must be non-empty single-line strings");
  return Buffer.from(bytes);
}

export function certifyDevice(secrets: Pick<StudioSecrets, "signPrivateKey">, req: CertifyRequest): DeviceCertificate {
  if (req.signPublicKey.length !== 32) throw new FormatError("BAD_KEY", "device public key must be 32 bytes");
  if (Number.isNaN(Date.parse(req.issuedAt))) throw new FormatError("BAD_CERTIFICATE", "issuedAt must be an ISO date");
  const cert: UnsignedDeviceCertificate = {
    studioId: req.studioId,
    deviceName: req.deviceName,
    signPublicKey: req.signPublicKey.toString("base64"),
    issuedAt: req.issuedAt,
  };
  const signature = sign(null, certificateBytes(cert), secrets.signPrivateKey).toString("base64");
  return { ...cert, signature };
}

/** Never throws: malformed input is simply "not valid". */
export function verifyDeviceCertificate(cert: DeviceCertificate, studioSignPublicKeyRaw: Buffer): boolean {
  try {
    b64ToBytes(cert.signPublicKey, 32, "signPublicKey");
    const sig = b64ToBytes(cert.signature, 64, "signature");
    return verify(null, certificateBytes(cert), publicKeyFromRaw("ed25519", studioSignPublicKeyRaw), sig);
  } catch {
    return false;
  }
}
