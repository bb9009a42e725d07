// The manifest root's shape: its fields, canonical JSON and the checks a reader applies before any
// signature. Pure (no node: imports), shared by root.ts (which signs roots) and reader-root.ts
// (which verifies them, in the CLI and the browser).
import type { DeviceCertificate } from "../../protocol/device-certificate-bytes.ts";
import { FormatError } from "./errors.ts";
import { isHexId } from "./ids.ts";
import { validatePath } from "./manifest.ts";

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
export function validateRoot(raw: unknown, requireSignature: boolean): ManifestRoot {
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
