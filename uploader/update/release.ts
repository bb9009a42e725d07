// A release of the uploader, as the server hosts it under /downloads (docs/releases.md):
//   release.json  the manifest: version, expiry, each executable's size and SHA-256;
//   release.sig   {keyId, signature, endorsements}: an Ed25519 signature over the exact bytes of
//                 release.json, by a release key the operator holds offline.
// The uploader trusts the public keys built into it (release-keys.ts) and any key that a trusted
// key endorsed (key rotation: the old key signs the new one; the chain is carried in release.sig,
// so a PC that missed releases still follows it). Refused: a manifest not signed by a trusted
// key, an expired one (no freeze by replaying an old manifest), one not newer than what this PC
// runs or has seen (no downgrade).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { type ReleaseManifest, releaseManifest, type ReleaseSignature } from "../../protocol/release.ts";

export {
  type ReleaseManifest,
  releaseManifest,
  type ReleaseSignature,
  releaseSignature,
  type Target,
  TARGETS,
} from "../../protocol/release.ts";

export class ReleaseRefused extends Error {}

// Ed25519 public keys travel as their 32 raw bytes in base64; SPKI wraps them with this prefix.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const ENDORSE = "datasafe-release-key-endorsement:";

function publicKey(raw64: string): KeyObject {
  const raw = Buffer.from(raw64, "base64");
  if (raw.length !== 32) throw new ReleaseRefused("a release public key is 32 bytes");
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

/** The id a signature names its key by: the first 8 bytes of the raw key's SHA-256, in hex. */
export function keyId(raw64: string): string {
  return createHash("sha256").update(Buffer.from(raw64, "base64")).digest("hex").slice(0, 16);
}

/** The manifest, if `sig` is a trusted key's signature over exactly `bytes` and it is still valid. */
export function verifyRelease(bytes: Buffer, sig: ReleaseSignature, trusted: readonly string[], now: Date): ReleaseManifest {
  if (trusted.length === 0) throw new ReleaseRefused("this build has no release key: it cannot update itself");
  const keys = new Map(trusted.map((k) => [keyId(k), k]));
  for (const e of sig.endorsements) {
    const by = [...keys.values()].find((k) =>
      verify(null, Buffer.from(ENDORSE + e.publicKey), publicKey(k), Buffer.from(e.signature, "base64")),
    );
    if (!by) throw new ReleaseRefused("a release key endorsement is not signed by a trusted key");
    keys.set(keyId(e.publicKey), e.publicKey);
  }
  const key = keys.get(sig.keyId);
  if (!key) throw new ReleaseRefused(`release signed by an unknown key ${sig.keyId}`);
  if (!verify(null, bytes, publicKey(key), Buffer.from(sig.signature, "base64"))) throw new ReleaseRefused("release signature invalid");
  let manifest: ReleaseManifest;
  try {
    manifest = releaseManifest.parse(JSON.parse(bytes.toString("utf8")));
  } catch (err) {
    throw new ReleaseRefused(`release manifest malformed: ${(err as Error).message.slice(0, 200)}`);
  }
  if (Date.parse(manifest.expiresAt) <= now.getTime()) throw new ReleaseRefused(`release manifest expired at ${manifest.expiresAt}`);
  return manifest;
}

// The operator's side (scripts/release.ts), beside the checks it must satisfy.

/** A new release key pair: the private key as PKCS#8 PEM (keep it offline), the public one as raw base64. */
export function newReleaseKey(): { privatePem: string; publicKey: string } {
  const { privateKey, publicKey: pub } = generateKeyPairSync("ed25519");
  const raw = pub.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
  return { privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(), publicKey: raw.toString("base64") };
}

export function publicKeyOf(privatePem: string): string {
  const raw = createPublicKey(createPrivateKey(privatePem)).export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
  return raw.toString("base64");
}

export function signRelease(bytes: Buffer, privatePem: string, endorsements: ReleaseSignature["endorsements"] = []): ReleaseSignature {
  const signature = sign(null, bytes, createPrivateKey(privatePem)).toString("base64");
  return { keyId: keyId(publicKeyOf(privatePem)), signature, endorsements };
}

/** The endorsement by the key `byPem` of the new public key `newKey` (a rotation). */
export function endorseKey(newKey: string, byPem: string): ReleaseSignature["endorsements"][number] {
  return { publicKey: newKey, signature: sign(null, Buffer.from(ENDORSE + newKey), createPrivateKey(byPem)).toString("base64") };
}
