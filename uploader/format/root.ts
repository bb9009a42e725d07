import { createHash, sign, verify, type KeyObject } from "node:crypto";
import { verifyDeviceCertificate, type DeviceCertificate } from "./device.ts";
import { FormatError } from "./errors.ts";
import { isHexId } from "./ids.ts";
import { validatePath } from "./manifest.ts";
import { b64ToBytes, publicKeyFromRaw } from "./rawkeys.ts";

/**
 * Manifest root: the small, signed description of a restore point. It points at the body
 * chunks and pins the whole body by SHA-256. The device signs it; the studio-signed device
 * certificate travels inside, so a restorer needs only the studio public key.
 */
export interface ManifestStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
}

export interface ManifestRoot {
  version: 1;
  restorePointId: string;
  studioId: string;
  deviceName: string;
  createdAt: string;
  label: string | null;
  stats: ManifestStats;
  body: { chunks: string[]; sha256: string };
  device: DeviceCertificate;
  /** Files that could not be read and are not in this restore point (absent when none). */
  skipped?: SkippedEntry[];
  signature: string;
}

export interface SkippedEntry {
  path: string;
  error: string;
}

/** Bounded so a tree full of unreadable files cannot make the root exceed a chunk. */
export const MAX_SKIPPED_IN_ROOT = 1000;

export type UnsignedManifestRoot = Omit<ManifestRoot, "signature">;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON with object keys sorted recursively (code-unit order) and no whitespace. */
export function canonicalJson(value: unknown): string {
  const v = value as Json;
  if (v === null || typeof v !== "object") {
    if (typeof v === "number" && !Number.isFinite(v)) throw new FormatError("BAD_ROOT", "non-finite number");
    if (v === undefined) throw new FormatError("BAD_ROOT", "undefined in canonical JSON");
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(v)
    .filter((k) => v[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
}

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

export function verifyRoot(
  root: ManifestRoot,
  studioSignPublicKeyRaw: Buffer,
  expected: { studioId: string; restorePointId: string },
): void {
  const r = validateRoot(root, true);
  const cert = r.device;
  if (!verifyDeviceCertificate(cert, studioSignPublicKeyRaw)) {
    throw new FormatError("BAD_CERTIFICATE", "device certificate not signed by this studio");
  }
  if (cert.studioId !== r.studioId || cert.deviceName !== r.deviceName) {
    throw new FormatError("BAD_CERTIFICATE", "certificate is for another studio or device");
  }
  const devicePub = publicKeyFromRaw("ed25519", b64ToBytes(cert.signPublicKey, 32, "device key"));
  const sig = b64ToBytes(r.signature, 64, "signature");
  if (!verify(null, rootSigningBytes(r), devicePub, sig)) throw new FormatError("BAD_SIGNATURE", "root signature invalid");
  // Checked after the signature: a validly signed root served for the wrong id is a replay.
  if (r.studioId !== expected.studioId || r.restorePointId !== expected.restorePointId) {
    throw new FormatError("WRONG_RESTORE_POINT", "root belongs to another studio or restore point");
  }
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

export function decodeRoot(buf: Uint8Array): ManifestRoot {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf));
  } catch (err) {
    throw new FormatError("BAD_ROOT", "root is not UTF-8 JSON", { cause: err });
  }
  return validateRoot(raw, true);
}

const fail = (msg: string): never => {
  throw new FormatError("BAD_ROOT", msg);
};
const str = (v: unknown, what: string): string => (typeof v === "string" && v.length > 0 ? v : fail(`${what} must be a non-empty string`));
const uint = (v: unknown, what: string): number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : fail(`${what} must be a non-negative integer`);
const obj = (v: unknown, what: string): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(`${what} must be an object`);
const iso = (v: unknown, what: string): string => (Number.isNaN(Date.parse(str(v, what))) ? fail(`${what} not a date`) : (v as string));

/** Returns a fresh root with exactly the known fields (so the signature covers what callers read). */
function validateRoot(raw: unknown, requireSignature: boolean): ManifestRoot {
  const r = obj(raw, "root");
  if (r.version !== 1) throw new FormatError("UNSUPPORTED_VERSION", `root version ${String(r.version)}`);
  const stats = obj(r.stats, "stats");
  const body = obj(r.body, "body");
  const dev = obj(r.device, "device");
  if (!Array.isArray(body.chunks) || !body.chunks.every(isHexId)) fail("body.chunks must be hex ids");
  if (typeof body.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(body.sha256)) fail("body.sha256 must be 64 hex");
  if (r.label !== null && typeof r.label !== "string") fail("label must be a string or null");
  const signature = requireSignature ? str(r.signature, "signature") : "";
  return {
    version: 1,
    restorePointId: str(r.restorePointId, "restorePointId"),
    studioId: str(r.studioId, "studioId"),
    deviceName: str(r.deviceName, "deviceName"),
    createdAt: iso(r.createdAt, "createdAt"),
    label: r.label as string | null,
    stats: {
      files: uint(stats.files, "stats.files"),
      dirs: uint(stats.dirs, "stats.dirs"),
      symlinks: uint(stats.symlinks, "stats.symlinks"),
      bytes: uint(stats.bytes, "stats.bytes"),
    },
    body: { chunks: [...(body.chunks as string[])], sha256: body.sha256 as string },
    device: {
      studioId: str(dev.studioId, "device.studioId"),
      deviceName: str(dev.deviceName, "device.deviceName"),
      signPublicKey: str(dev.signPublicKey, "device.signPublicKey"),
      issuedAt: str(dev.issuedAt, "device.issuedAt"),
      signature: str(dev.signature, "device.signature"),
    },
    ...(r.skipped === undefined ? {} : { skipped: skippedList(r.skipped) }),
    signature,
  };
}

function skippedList(raw: unknown): SkippedEntry[] {
  if (!Array.isArray(raw) || raw.length > MAX_SKIPPED_IN_ROOT) fail(`skipped must be an array of at most ${MAX_SKIPPED_IN_ROOT}`);
  return (raw as unknown[]).map((item, i) => {
    const e = obj(item, `skipped[${i}]`);
    const error = str(e.error, `skipped[${i}].error`);
    if (error.length > 500) fail(`skipped[${i}].error too long`);
    return { path: validatePath(e.path), error };
  });
}
