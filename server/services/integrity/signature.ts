// Ed25519 verification of studio-signed messages with node:crypto. The studio keyset stored on
// the Studio row is opaque to the server except its public keys, which are plain base64 of the
// raw 32-byte keys (uploader/format/FORMAT.md §5); the server does not import the format.
import { createPublicKey, verify } from "node:crypto";

// DER SubjectPublicKeyInfo header for Ed25519 (RFC 8410): the raw key follows it.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function studioSignPublicKey(keyset: unknown): Buffer | null {
  const b64 = (keyset as { signPublicKey?: unknown } | null)?.signPublicKey;
  if (typeof b64 !== "string") return null;
  const raw = Buffer.from(b64, "base64");
  return raw.length === 32 ? raw : null;
}

export function verifyEd25519(publicKeyRaw: Buffer, message: Buffer, signature: Buffer): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKeyRaw]), format: "der", type: "spki" });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
