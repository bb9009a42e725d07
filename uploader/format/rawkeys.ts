import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { FormatError } from "./errors.ts";

export { b64ToBytes } from "./bytes.ts";

/**
 * Conversions between Node KeyObjects and the raw 32-byte X25519/Ed25519 encodings used on
 * the wire (RFC 7748 / RFC 8032), which is also what WebCrypto and JS libraries exchange.
 * Node only imports DER, so raw keys are wrapped in the fixed PKCS#8/SPKI prefixes of
 * RFC 8410 — both are a constant header followed by the 32 key bytes.
 */
export type KeyKind = "x25519" | "ed25519";

const PKCS8_PREFIX: Record<KeyKind, Buffer> = {
  x25519: Buffer.from("302e020100300506032b656e04220420", "hex"),
  ed25519: Buffer.from("302e020100300506032b657004220420", "hex"),
};
const SPKI_PREFIX: Record<KeyKind, Buffer> = {
  x25519: Buffer.from("302a300506032b656e032100", "hex"),
  ed25519: Buffer.from("302a300506032b6570032100", "hex"),
};

function kindOf(key: KeyObject): KeyKind {
  const t = key.asymmetricKeyType;
  if (t !== "x25519" && t !== "ed25519") throw new FormatError("BAD_KEY", `unsupported key type ${String(t)}`);
  return t;
}

function check32(raw: Uint8Array, what: string): void {
  if (raw.length !== 32) throw new FormatError("BAD_KEY", `${what} must be 32 bytes`);
}

export function privateKeyFromRaw(kind: KeyKind, raw: Uint8Array): KeyObject {
  check32(raw, "private key");
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX[kind], raw]), format: "der", type: "pkcs8" });
}

export function publicKeyFromRaw(kind: KeyKind, raw: Uint8Array): KeyObject {
  check32(raw, "public key");
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX[kind], raw]), format: "der", type: "spki" });
  } catch (err) {
    throw new FormatError("BAD_KEY", "invalid public key", { cause: err });
  }
}

export function privateKeyToRaw(key: KeyObject): Buffer {
  const der = key.export({ format: "der", type: "pkcs8" });
  const prefix = PKCS8_PREFIX[kindOf(key)];
  if (der.length !== prefix.length + 32 || !der.subarray(0, prefix.length).equals(prefix)) {
    throw new FormatError("BAD_KEY", "unexpected PKCS#8 encoding");
  }
  return Buffer.from(der.subarray(prefix.length));
}

/** Raw public key of either a public or a private KeyObject. */
export function publicKeyToRaw(key: KeyObject): Buffer {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const der = pub.export({ format: "der", type: "spki" });
  const prefix = SPKI_PREFIX[kindOf(pub)];
  if (der.length !== prefix.length + 32) throw new FormatError("BAD_KEY", "unexpected SPKI encoding");
  return Buffer.from(der.subarray(prefix.length));
}

/** PKCS#8 DER as base64: the on-disk form of the device signing key in device state. */
export function privateKeyToB64(key: KeyObject): string {
  return key.export({ format: "der", type: "pkcs8" }).toString("base64");
}

export function privateKeyFromB64(b64: string): KeyObject {
  try {
    const key = createPrivateKey({ key: Buffer.from(b64, "base64"), format: "der", type: "pkcs8" });
    kindOf(key);
    return key;
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError("BAD_KEY", "invalid PKCS#8 private key", { cause: err });
  }
}
