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
  private readonly open: Array<{ bytes: Buffer; text: string | null; dir: boolean }> = [];
  private byteOrder = true;
  private unitOrder = true;

  accept(e: ManifestEntry): void {
    const segs = segments(e);
    const depth = segs.length;
    const name = segs[depth - 1]!;
    if (this.open.length < depth - 1) fail(e, "its folder is not an entry before it");
    for (let i = 0; i < depth - 1; i++) {
      if (!this.open[i]!.bytes.equals(segs[i]!.bytes)) fail(e, "its folder is not an entry before it (entries must be in canonical order)");
    }
    if (depth > 1 && !this.open[depth - 2]!.dir) fail(e, "its parent is not a folder");
    const prev = this.open[depth - 1];
    if (prev) {
      if (Buffer.compare(prev.bytes, name.bytes) >= 0) this.byteOrder = false;
      if (prev.text === null || name.text === null || !(prev.text < name.text)) this.unitOrder = false;
    }
    if (e.pathBytes) this.unitOrder = false;
    if (!this.byteOrder && !this.unitOrder) {
      fail(e, `it is not strictly after ${JSON.stringify(prev?.text ?? prev?.bytes.toString() ?? "")} (canonical order; no duplicates)`);
    }
    this.open.length = depth - 1;
    this.open.push({ ...name, dir: e.type === "dir" });
  }
}

const SLASH = 0x2f;

function segments(e: ManifestEntry): Array<{ bytes: Buffer; text: string | null }> {
  if (!e.pathBytes) return e.path.split("/").map((text) => ({ bytes: Buffer.from(text, "utf8"), text }));
  const out: Array<{ bytes: Buffer; text: string | null }> = [];
  let start = 0;
  for (let i = 0; i <= e.pathBytes.length; i++) {
    if (i < e.pathBytes.length && e.pathBytes[i] !== SLASH) continue;
    out.push({ bytes: e.pathBytes.subarray(start, i), text: null });
    start = i + 1;
  }
  return out;
}

function fail(e: ManifestEntry, why: string): never {
  throw new FormatError("BAD_MANIFEST", `entry ${JSON.stringify(e.path)} out of order: ${why}`);
}
