import { FormatError } from "./errors.ts";
import type { ManifestEntry } from "./manifest.ts";

/**
 * Canonical entry order of a manifest body (FORMAT.md §6): a preorder walk of the tree (each
 * folder directly followed by everything under it) with siblings in strictly increasing order
 * of their name bytes, and every entry below the top level inside a folder entry met before it.
 *
 * Checked holding only the current entry's ancestors (one path's depth), never the whole list:
 * an entry must continue the open path, and its name must be greater than the previous sibling's.
 * A duplicate path is therefore "not after" its twin; a file cannot have children.
 *
 * Bodies written before this rule (no byte names) sorted siblings by UTF-16 code units, which
 * differs from byte order only between a character above U+FFFF and one in U+E000-U+FFFF. They
 * carry no mark (a new root field would break every older reader's signature check), so the
 * order is told by the content: a body is accepted while it is consistently in byte order or
 * consistently in code-unit order; code-unit order cannot hold byte names.
 */
export class EntryOrderCheck {
  /** The previous entry's path: one segment per depth, with whether that entry is a folder. */
  private readonly open: Array<Segment & { dir: boolean }> = [];
  private byteOrder = true;
  private unitOrder = true;

  accept(e: ManifestEntry): void {
    const segs = segments(e);
    const depth = segs.length;
    const name = segs[depth - 1]!;
    if (this.open.length < depth - 1) fail(e, "its folder is not an entry before it");
    for (let i = 0; i < depth - 1; i++) {
      if (!same(this.open[i]!, segs[i]!)) fail(e, "its folder is not an entry before it (entries must be in canonical order)");
    }
    if (depth > 1 && !this.open[depth - 2]!.dir) fail(e, "its parent is not a folder");
    const prev = this.open[depth - 1];
    if (prev) {
      if (compare(prev, name) >= 0) this.byteOrder = false;
      if (prev.text === null || name.text === null || !(prev.text < name.text)) this.unitOrder = false;
    }
    if (e.pathBytes) this.unitOrder = false;
    if (!this.byteOrder && !this.unitOrder) {
      fail(
        e,
        `it is not strictly after ${JSON.stringify(prev ? (prev.text ?? bytesOf(prev).toString()) : "")} (canonical order; no duplicates)`,
      );
    }
    this.open.length = depth - 1;
    this.open.push({ text: name.text, bytes: name.bytes, dir: e.type === "dir" });
  }
}

/** A path segment: its text (null for a byte path) and bytes, the latter made only when compared. */
interface Segment {
  text: string | null;
  bytes: Buffer | null;
}

const SLASH = 0x2f;

const bytesOf = (s: Segment): Buffer => (s.bytes ??= Buffer.from(s.text!, "utf8"));
// Well-formed strings are equal exactly when their UTF-8 bytes are.
const same = (a: Segment, b: Segment): boolean => (a.text !== null && b.text !== null ? a.text === b.text : bytesOf(a).equals(bytesOf(b)));

const compare = (a: Segment, b: Segment): number =>
  a.text !== null && b.text !== null ? compareUtf8(a.text, b.text) : Buffer.compare(bytesOf(a), bytesOf(b));

/**
 * The byte order of two strings' UTF-8 forms (= code point order), without encoding them: code
 * units order differently only where surrogates (D800-DFFF, characters above U+FFFF) meet
 * E000-FFFF, so those two ranges swap places before comparing (ICU's "code point order fix-up").
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return fixUp(x) - fixUp(y);
    return x - y;
  }
  return a.length - b.length;
}

const fixUp = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000);

function segments(e: ManifestEntry): Segment[] {
  if (!e.pathBytes) return e.path.split("/").map((text) => ({ text, bytes: null }));
  const out: Segment[] = [];
  let start = 0;
  for (let i = 0; i <= e.pathBytes.length; i++) {
    if (i < e.pathBytes.length && e.pathBytes[i] !== SLASH) continue;
    out.push({ text: null, bytes: e.pathBytes.subarray(start, i) });
    start = i + 1;
  }
  return out;
}

function fail(e: ManifestEntry, why: string): never {
  throw new FormatError("BAD_MANIFEST", `entry ${JSON.stringify(e.path)} out of order: ${why}`);
}
