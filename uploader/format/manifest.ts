import { EntryOrderCheck } from "./entry-order.ts";
import { FormatError } from "./errors.ts";
import { isHexId } from "./ids.ts";

/**
 * Manifest body: the list of entries of a restore point as JSON Lines (one entry per line,
 * UTF-8), in canonical order (entry-order.ts). Line-oriented so it can be produced and consumed
 * as a stream, and it is chunked with the same chunker as data, so an unchanged tree re-uses
 * most body chunks.
 *
 * Names are bytes on POSIX. A path (or symlink target) that is valid UTF-8 is written as the
 * string `path` (`target`), exactly as before byte names existed; one that is not is written as
 * `pathBytes` (`targetBytes`), base64, and `path` (`target`) is absent from the line, so a reader
 * from before byte names refuses the body instead of restoring the file under another name.
 */
export type EntryType = "file" | "dir" | "symlink";

export interface ManifestEntry {
  /**
   * '/'-separated, relative; the first segment is the top-level entry that was backed up. When
   * `pathBytes` is set this is only a display form (invalid bytes shown as U+FFFD): write files
   * under entryPathBytes(entry).
   */
  path: string;
  /** The exact path bytes; present only when they are not valid UTF-8. */
  pathBytes?: Buffer;
  type: EntryType;
  mode: number;
  mtimeMs: number;
  /** file only */
  size?: number;
  /** file only: hex chunk ids in order */
  chunks?: string[];
  /** symlink only; a display form when `targetBytes` is set (use entryTargetBytes) */
  target?: string;
  /** symlink only: the exact target bytes, present only when they are not valid UTF-8 */
  targetBytes?: Buffer;
}

const bad = (msg: string): never => {
  throw new FormatError("BAD_MANIFEST", msg);
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of `bytes`, or null when they are not valid UTF-8. */
export function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

// A lone surrogate has no UTF-8 form: Buffer.from() would write U+FFFD, another name.
const LONE_SURROGATE = /\p{Cs}/u;

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * Paths are attacker-controlled on restore (a hostile server cannot forge them, but a bug
 * or a compromised device can), so anything that could escape the restore directory is
 * refused here, on the bytes: no NUL, not absolute, no empty, '.' or '..' segment.
 */
export function validatePathBytes(bytes: Uint8Array, shown: string): void {
  if (bytes.length === 0) bad("path must not be empty");
  if (bytes.includes(0)) bad(`path ${JSON.stringify(shown)} contains NUL`);
  if (bytes[0] === SLASH) bad(`absolute path ${JSON.stringify(shown)}`);
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== SLASH) continue;
    const len = i - start;
    if (len === 0) bad(`empty segment in ${JSON.stringify(shown)}`);
    if (bytes[start] === DOT && (len === 1 || (len === 2 && bytes[start + 1] === DOT))) {
      bad(`'${".".repeat(len)}' segment in ${JSON.stringify(shown)}`);
    }
    start = i + 1;
  }
}

/**
 * A path written as text: the same rules (on a well-formed string, '/', '.' and NUL are the
 * same characters as bytes), and it must have a UTF-8 form: no lone surrogate.
 */
export function validatePath(path: unknown): string {
  if (typeof path !== "string" || path.length === 0) return bad("path must be a non-empty string");
  if (LONE_SURROGATE.test(path)) bad(`path ${JSON.stringify(path)} is not well-formed Unicode`);
  if (path.includes("\0")) return bad(`path ${JSON.stringify(path)} contains NUL`);
  if (path.startsWith("/")) return bad(`absolute path ${JSON.stringify(path)}`);
  for (const seg of path.split("/")) {
    if (seg === "") return bad(`empty segment in ${JSON.stringify(path)}`);
    if (seg === "." || seg === "..") return bad(`'${seg}' segment in ${JSON.stringify(path)}`);
  }
  return path;
}

/** The fields a writer sets for a path given as bytes: `path` alone when they are UTF-8. */
export function pathFromBytes(bytes: Uint8Array): { path: string; pathBytes?: Buffer } {
  const text = utf8OrNull(bytes);
  return text === null ? { path: Buffer.from(bytes).toString("utf8"), pathBytes: Buffer.from(bytes) } : { path: text };
}

/** The fields a writer sets for a symlink target read as bytes. */
export function targetFromBytes(bytes: Uint8Array): { target: string; targetBytes?: Buffer } {
  const text = utf8OrNull(bytes);
  return text === null ? { target: Buffer.from(bytes).toString("utf8"), targetBytes: Buffer.from(bytes) } : { target: text };
}

/** The on-disk name of an entry, as bytes ('/'-separated): what a restorer creates. */
export function entryPathBytes(e: ManifestEntry): Buffer {
  return e.pathBytes ?? Buffer.from(e.path, "utf8");
}

/** The exact target of a symlink entry, as bytes. */
export function entryTargetBytes(e: ManifestEntry): Buffer {
  if (e.type !== "symlink") throw new FormatError("BAD_ARGUMENT", `${e.path} is not a symlink`);
  return e.targetBytes ?? Buffer.from(e.target ?? "", "utf8");
}

/** Canonical base64 only, so every name has exactly one encoding (and one body its digest). */
function base64Bytes(v: unknown, what: string): Buffer {
  if (typeof v !== "string" || v.length === 0) return bad(`${what} must be non-empty base64`);
  const bytes = Buffer.from(v, "base64");
  if (bytes.toString("base64") !== v) bad(`${what} is not canonical base64`);
  return bytes;
}

function wirePath(e: Record<string, unknown>): { path: string; pathBytes?: Buffer } {
  if (e.pathBytes === undefined) return { path: validatePath(e.path) };
  if (e.path !== undefined) bad("entry has both path and pathBytes");
  const bytes = base64Bytes(e.pathBytes, "pathBytes");
  const shown = bytes.toString("utf8");
  validatePathBytes(bytes, shown);
  if (utf8OrNull(bytes) !== null) bad(`pathBytes of ${JSON.stringify(shown)} is valid UTF-8: it must be written as path`);
  return { path: shown, pathBytes: bytes };
}

function wireTarget(e: Record<string, unknown>, path: string): { target: string; targetBytes?: Buffer } {
  if (e.targetBytes === undefined) {
    const t = e.target;
    if (typeof t !== "string" || t.length === 0 || t.includes("\0") || LONE_SURROGATE.test(t)) return bad(`bad target for ${path}`);
    return { target: t };
  }
  if (e.target !== undefined) bad(`symlink ${path} has both target and targetBytes`);
  const bytes = base64Bytes(e.targetBytes, `targetBytes of ${path}`);
  if (bytes.includes(0)) bad(`bad target for ${path}`);
  if (utf8OrNull(bytes) !== null) bad(`targetBytes of ${path} is valid UTF-8: it must be written as target`);
  return { target: bytes.toString("utf8"), targetBytes: bytes };
}

const isUint = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Validates one entry as written on the wire (JSON) and returns a fresh entry with only known
 * fields in a fixed order. Unknown fields are dropped, not rejected, so a later v1 writer may
 * add optional fields (a field whose loss would change what is restored must instead replace a
 * required one, as pathBytes does).
 */
export function validateEntry(raw: unknown): ManifestEntry {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return bad("entry must be an object");
  const e = raw as Record<string, unknown>;
  const name = wirePath(e);
  const { path } = name;
  if (!isUint(e.mode) || e.mode > 0o177777) return bad(`bad mode for ${path}`);
  if (typeof e.mtimeMs !== "number" || !Number.isFinite(e.mtimeMs)) return bad(`bad mtimeMs for ${path}`);
  const base: ManifestEntry = { path, type: e.type as EntryType, mode: e.mode, mtimeMs: e.mtimeMs };
  if (name.pathBytes) base.pathBytes = name.pathBytes;
  const noTarget = e.target === undefined && e.targetBytes === undefined;
  switch (e.type) {
    case "file": {
      if (!isUint(e.size)) return bad(`bad size for ${path}`);
      if (!Array.isArray(e.chunks) || !e.chunks.every(isHexId)) return bad(`bad chunks for ${path}`);
      if (e.size === 0 ? e.chunks.length !== 0 : e.chunks.length === 0) return bad(`size/chunks disagree for ${path}`);
      if (!noTarget) return bad(`file ${path} has a target`);
      return { ...base, size: e.size, chunks: [...(e.chunks as string[])] };
    }
    case "dir":
      if (e.size !== undefined || e.chunks !== undefined || !noTarget) return bad(`dir ${path} has file/symlink fields`);
      return base;
    case "symlink": {
      const target = wireTarget(e, path);
      if (e.size !== undefined || e.chunks !== undefined) return bad(`symlink ${path} has file fields`);
      return { ...base, ...target };
    }
    default:
      return bad(`unknown entry type ${JSON.stringify(e.type)}`);
  }
}

/**
 * The wire form of an entry: path (or pathBytes), type, mode, mtimeMs, then size and chunks or
 * target (or targetBytes). Fields the type must not have are kept so validateEntry refuses them.
 */
function toWire(e: ManifestEntry): Record<string, unknown> {
  const name = e.pathBytes ? { pathBytes: e.pathBytes.toString("base64") } : { path: e.path };
  const target = e.targetBytes ? { targetBytes: e.targetBytes.toString("base64") } : { target: e.target };
  return { ...name, type: e.type, mode: e.mode, mtimeMs: e.mtimeMs, size: e.size, chunks: e.chunks, ...target };
}

/** Entries in canonical order; anything else (a duplicate, a child before its folder) is refused. */
export function encodeEntries(entries: Iterable<ManifestEntry>): Buffer {
  const encoder = new EntryEncoder();
  const lines: string[] = [];
  for (const entry of entries) lines.push(encoder.line(entry));
  return Buffer.from(lines.join(""), "utf8");
}

/**
 * encodeEntries() one entry at a time (a backup writes its manifest body as it goes, never whole
 * in memory): each entry checked, and in canonical order after the ones before it.
 */
export class EntryEncoder {
  private readonly order = new EntryOrderCheck();

  /** The entry's line of the body (JSON and a newline). */
  line(entry: ManifestEntry): string {
    const wire = toWire(entry);
    const e = validateEntry(wire);
    if (entry.pathBytes && entry.path !== e.path) bad(`path ${JSON.stringify(entry.path)} is not the display form of its pathBytes`);
    this.order.accept(e);
    return JSON.stringify(wire) + "\n";
  }
}

export function decodeEntries(buf: Uint8Array): ManifestEntry[] {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch (err) {
    throw new FormatError("BAD_MANIFEST", "body is not valid UTF-8", { cause: err });
  }
  if (text.length === 0) return [];
  if (!text.endsWith("\n")) bad("body must end with a newline");
  const order = new EntryOrderCheck();
  const out: ManifestEntry[] = [];
  const lines = text.slice(0, -1).split("\n");
  for (let i = 0; i < lines.length; i++) {
    let raw: unknown;
    try {
      raw = JSON.parse(lines[i]!);
    } catch (err) {
      throw new FormatError("BAD_MANIFEST", `line ${i + 1} is not JSON`, { cause: err });
    }
    const e = validateEntry(raw);
    order.accept(e);
    out.push(e);
  }
  return out;
}
