// Verifying a manifest root and its body (FORMAT.md §6): the one implementation the CLI's restore
// and the browser's restore page both run. Pure: the primitives come in as an argument.
import { deviceCertificateBytes, type DeviceCertificate } from "../../protocol/device-certificate-bytes.ts";
import { b64ToBytes } from "./bytes.ts";
import { FormatError } from "./errors.ts";
import type { FormatPrimitives } from "./primitives.ts";
import { canonicalJson, validateRoot, type ManifestRoot, type UnsignedManifestRoot } from "./root-shape.ts";

const ROOT_PREFIX = new TextEncoder().encode("datasafe/v1/manifest-root\n");
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/**
 * Signed message = "datasafe/v1/manifest-root\n" | SHA-256(canonical JSON without signature).
 * The prefix is domain separation: the device key can never be tricked into producing a
 * root signature by signing something else (e.g. a future auth challenge).
 */
export async function rootSigningMessage(p: FormatPrimitives, root: UnsignedManifestRoot): Promise<Uint8Array> {
  const { signature: _ignored, ...rest } = root as ManifestRoot;
  const digest = await p.sha256(new TextEncoder().encode(canonicalJson(rest)));
  const out = new Uint8Array(ROOT_PREFIX.length + digest.length);
  out.set(ROOT_PREFIX);
  out.set(digest, ROOT_PREFIX.length);
  return out;
}

/** Never throws: a malformed certificate is simply "not valid". */
export async function certificateValid(p: FormatPrimitives, cert: DeviceCertificate, studioSignPublicKey: Uint8Array): Promise<boolean> {
  try {
    const bytes = deviceCertificateBytes(cert);
    if (!bytes) return false;
    b64ToBytes(cert.signPublicKey, 32, "signPublicKey");
    return await p.ed25519Verify(studioSignPublicKey, bytes, b64ToBytes(cert.signature, 64, "signature"));
  } catch {
    return false;
  }
}

/**
 * The root, checked: its certificate verifies under the studio sign key and names the root's
 * studio and device (BAD_CERTIFICATE), its signature under the certified device key
 * (BAD_SIGNATURE), and it is the restore point asked for (WRONG_RESTORE_POINT).
 */
export async function verifyRootWith(
  p: FormatPrimitives,
  root: ManifestRoot,
  studioSignPublicKey: Uint8Array,
  expected: { studioId: string; restorePointId: string },
): Promise<ManifestRoot> {
  const r = validateRoot(root, true);
  const cert = r.device;
  if (!(await certificateValid(p, cert, studioSignPublicKey))) {
    throw new FormatError("BAD_CERTIFICATE", "device certificate not signed by this studio");
  }
  if (cert.studioId !== r.studioId || cert.deviceName !== r.deviceName) {
    throw new FormatError("BAD_CERTIFICATE", "certificate is for another studio or device");
  }
  const devicePub = b64ToBytes(cert.signPublicKey, 32, "device key");
  const sig = b64ToBytes(r.signature, 64, "signature");
  if (!(await p.ed25519Verify(devicePub, await rootSigningMessage(p, r), sig)))
    throw new FormatError("BAD_SIGNATURE", "root signature invalid");
  // Checked after the signature: a validly signed root served for the wrong id is a replay.
  if (r.studioId !== expected.studioId || r.restorePointId !== expected.restorePointId) {
    throw new FormatError("WRONG_RESTORE_POINT", "root belongs to another studio or restore point");
  }
  return r;
}

/** The reassembled body's SHA-256 must be the one its root signs (BAD_BODY). */
export async function verifyBodyWith(p: FormatPrimitives, root: ManifestRoot, body: Uint8Array): Promise<void> {
  if (hex(await p.sha256(body)) !== root.body.sha256) throw new FormatError("BAD_BODY", "manifest body digest mismatch");
}
