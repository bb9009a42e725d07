import { FormatError } from "./errors.ts";
import { isHexId } from "./ids.ts";

/**
 * Manifest body: the list of entries of a restore point as JSON Lines (one entry per line,
 * UTF-8). Line-oriented so it can be produced and consumed as a stream, and it is chunked
 * with the same chunker as data, so an unchanged tree re-uses most body chunks.
 */
export type EntryType = "file" | "dir" | "symlink";

export interface ManifestEntry {
  /** '/'-separated, relative; the first segment is the top-level entry that was backed up. */
  path: string;
  type: EntryType;
  mode: number;
  mtimeMs: number;
  /** file only */
  size?: number;
  /** file only: hex chunk ids in order */
  chunks?: string[];
  /** symlink only */
  target?: string;
}

const bad = (msg: string): never => {
  throw new FormatError("BAD_MANIFEST", msg);
};

/**
 * Paths are attacker-controlled on restore (a hostile server cannot forge them, but a bug
 * or a compromised device can), so anything that could escape the restore directory is
 * refused here. Restorers on Windows must additionally reject '\\', ':' and reserved names.
 */
export function validatePath(path: unknown): string {
  if (typeof path !== "string" || path.length === 0) return bad("path must be a non-empty string");
  if (path.includes("\0")) return bad("path contains NUL");
  if (path.startsWith("/")) return bad(`absolute path ${JSON.stringify(path)}`);
  for (const seg of path.split("/")) {
    if (seg === "") return bad(`empty segment in ${JSON.stringify(path)}`);
    if (seg === "." || seg === "..") return bad(`'${seg}' segment in ${JSON.stringify(path)}`);
  }
  return path;
}

const isUint = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Validates and returns a fresh entry with only known fields in a fixed order. Unknown
 * fields are dropped, not rejected, so a later v1 writer may add optional fields.
 */
export function validateEntry(raw: unknown): ManifestEntry {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return bad("entry must be an object");
  const e = raw as Record<string, unknown>;
  const path = validatePath(e.path);
  if (!isUint(e.mode) || e.mode > 0o177777) return bad(`bad mode for ${path}`);
  if (typeof e.mtimeMs !== "number" || !Number.isFinite(e.mtimeMs)) return bad(`bad mtimeMs for ${path}`);
  const base = { path, type: e.type as EntryType, mode: e.mode, mtimeMs: e.mtimeMs };
  switch (e.type) {
    case "file": {
      if (!isUint(e.size)) return bad(`bad size for ${path}`);
      if (!Array.isArray(e.chunks) || !e.chunks.every(isHexId)) return bad(`bad chunks for ${path}`);
      if (e.size === 0 ? e.chunks.length !== 0 : e.chunks.length === 0) return bad(`size/chunks disagree for ${path}`);
      if (e.target !== undefined) return bad(`file ${path} has a target`);
      return { ...base, size: e.size, chunks: [...(e.chunks as string[])] };
    }
    case "dir":
      if (e.size !== undefined || e.chunks !== undefined || e.target !== undefined) return bad(`dir ${path} has file/symlink fields`);
      return base;
    case "symlink":
      if (typeof e.target !== "string" || e.target.length === 0 || e.target.includes("\0")) return bad(`bad target for ${path}`);
      if (e.size !== undefined || e.chunks !== undefined) return bad(`symlink ${path} has file fields`);
      return { ...base, target: e.target };
    default:
      return bad(`unknown entry type ${JSON.stringify(e.type)}`);
  }
}

export function encodeEntries(entries: Iterable<ManifestEntry>): Buffer {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const entry of entries) {
    const e = validateEntry(entry);
    if (seen.has(e.path)) bad(`duplicate path ${JSON.stringify(e.path)}`);
    seen.add(e.path);
    lines.push(JSON.stringify(e) + "\n");
  }
  return Buffer.from(lines.join(""), "utf8");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeEntries(buf: Uint8Array): ManifestEntry[] {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch (err) {
    throw new FormatError("BAD_MANIFEST", "body is not valid UTF-8", { cause: err });
  }
  if (text.length === 0) return [];
  if (!text.endsWith("\n")) bad("body must end with a newline");
  const seen = new Set<string>();
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
    if (seen.has(e.path)) bad(`duplicate path ${JSON.stringify(e.path)}`);
    seen.add(e.path);
    out.push(e);
  }
  return out;
}
