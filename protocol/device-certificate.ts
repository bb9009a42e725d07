// The bytes a studio signs to certify a device's Ed25519 key (uploader/format/FORMAT.md §5,
// "Device certificates"). Both sides need them: the uploader signs them at enrolment and checks
// them in every manifest root; the server checks them before it creates the device. Pure: no
// I/O and no crypto here, so a browser can import it too; each side verifies with its own
// Ed25519 (node:crypto, WebCrypto).
import { z } from "zod";

export {
  DEVICE_CERT_PREFIX,
  deviceCertificateBytes,
  type DeviceCertificate,
  type UnsignedDeviceCertificate,
} from "./device-certificate-bytes.ts";

/** A certificate as sent at enrolment: bounded strings; deviceCertificateBytes() checks the rest. */
export const deviceCertificateSchema = z.object({
  studioId: z.string().max(100),
  deviceName: z.string().max(100),
  signPublicKey: z.string().max(100),
  issuedAt: z.string().max(64),
  signature: z.string().max(100),
});
