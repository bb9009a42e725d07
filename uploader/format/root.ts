import { createHash, sign, type KeyObject } from "node:crypto";
import { FormatError } from "./errors.ts";
import { nodePrimitives } from "./node-primitives.ts";
import { verifyRootWith } from "./reader-root.ts";
import { canonicalJson, validateRoot, type ManifestRoot, type UnsignedManifestRoot } from "./root-shape.ts";

export {
  canonicalJson,
  decodeRoot,
  MAX_SKIPPED_IN_ROOT,
  type ManifestRoot,
  type ManifestStats,
  type SkippedEntry,
  type UnsignedManifestRoot,
} from "./root-shape.ts";

/**
 * Signed message = "datasafe/v1/manifest-root\n" | SHA-256(canonical JSON without signature).
 * The prefix is domain separation: the device key can never be tricked into producing a
 * root signature by signing something else (e.g. a future auth challenge).
 */
export function rootSigningBytes(root: UnsignedManifestRoot): Buffer {
  const { signature: _ignored, ...rest } = root as ManifestRoot;
  const digest = createHash("sha256").update(canonicalJson(rest), "utf8").digest();
  return Buffer.concat([Buffer.from("datasafe/v1/manifest-root\n", "utf8"), digest]);
}

export function signRoot(unsignedRoot: UnsignedManifestRoot, deviceSignPrivateKey: KeyObject): ManifestRoot {
  const root = validateRoot({ ...unsignedRoot, signature: "" }, false);
  const { signature: _unused, ...unsigned } = root;
  const signature = sign(null, rootSigningBytes(unsigned), deviceSignPrivateKey).toString("base64");
  return { ...unsigned, signature };
}

/** The root, verified by the read path the browser shares (reader-root.ts), on node:crypto. */
export async function verifyRoot(
  root: ManifestRoot,
  studioSignPublicKeyRaw: Uint8Array,
  expected: { studioId: string; restorePointId: string },
): Promise<void> {
  await verifyRootWith(nodePrimitives, root, studioSignPublicKeyRaw, expected);
}

/** SHA-256 hex of the reassembled body; compare with root.body.sha256. */
export function bodyDigest(body: Uint8Array): string {
  return createHash("sha256").update(body).digest("hex");
}

export function verifyBody(root: ManifestRoot, body: Uint8Array): void {
  if (bodyDigest(body) !== root.body.sha256) throw new FormatError("BAD_BODY", "manifest body digest mismatch");
}

export function encodeRoot(root: ManifestRoot): Buffer {
  return Buffer.from(canonicalJson(validateRoot(root, true)), "utf8");
}
