// The names restore writes on the target: the stored bytes (format/manifest.ts: a byte name is
// restored under its exact bytes, not its display form), except where the target cannot hold them.
// Issue 16: a studio never loses a file to its name, so such a name is written under the
// reversible mapping of FORMAT.md §6 (format/windows-names.ts) and reported, instead of refused:
// - on Windows (traits.windows) every segment goes through windowsSafeName() (`con.txt`, `a:b`,
//   a trailing dot or space, `*?`, bytes that are not UTF-8); on a normalization-insensitive
//   target (APFS, which refuses names that are not UTF-8) a name that is not UTF-8 does too;
// - on a target that folds case or normalization, names are compared per folder as FORMAT.md §6
//   says (`toUpperCase(NFC(name))`; NFC alone when only normalization is folded). The first name
//   of a folded form (manifest order) keeps it; a later one is written as its windowsSafeName()
//   form if that differs and is free (a stored `a%~2.jpg` must not be read as a suffix), else
//   that form with the `%~N` suffix (N >= 2, the smallest free). Off Windows the other names stay
//   as stored (`a:b` is a fine name on a Mac). Folders that fold together are no longer merged:
//   each keeps its own entries under its own name.
// Names are claimed on the names actually written, so no two written names are the same file on
// the target: a link `X` and a folder `x` (`x/authorized_keys`) get two names, and nothing is
// written below a link restore made. (Were the target to fold more than this key, restore-entries
// still never writes through a link: links are placed after every file, and every folder is
// lstat-checked; rename() of a link over a folder fails, and is reported.)
// windowsOriginalName() of a mapped name gives the stored name back.
//
// Order: names are decided over the whole manifest in its order before --path selects, so a
// partial restore writes the same names a full one does. Memory: one map entry per path prefix
// (on a folding or Windows target; none otherwise).
import type { ManifestEntry } from "../format/index.ts";
import { entryPathBytes, pathFromBytes, utf8OrNull } from "../format/index.ts";
import { windowsSafeName } from "../format/windows-names.ts";
import type { TargetTraits } from "./entry-checks.ts";

export interface MappedName {
  /** The stored path of the mapped name (display form). */
  path: string;
  /** The path it was restored under, relative to --to. */
  restoredAs: string;
}

const SLASH = 0x2f;

/** An entry's stored path as byte segments. */
export function byteSegments(e: ManifestEntry): Buffer[] {
  const bytes = entryPathBytes(e);
  const segs: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== SLASH) continue;
    segs.push(bytes.subarray(start, i));
    start = i + 1;
  }
  return segs;
}

/**
 * The key under which a folding target holds a name (FORMAT.md §6): equal keys are treated as the
 * same file. ECMAScript's full case mapping folds at least what NTFS and APFS fold (ß -> SS);
 * a false match only costs a suffix.
 */
export function nameKey(name: string, traits: Pick<TargetTraits, "caseInsensitive">): string {
  const nfc = name.normalize("NFC");
  return traits.caseInsensitive ? nfc.toUpperCase() : nfc;
}

/** `safe` with the `%~n` suffix before its last dot (unless the dot starts it), as CaseCollisions. */
function suffixed(safe: string, n: number): string {
  const dot = safe.lastIndexOf(".");
  return dot > 0 ? `${safe.slice(0, dot)}%~${n}${safe.slice(dot)}` : `${safe}%~${n}`;
}

export class TargetNames {
  /** Stored prefix (latin1: one char per byte) -> the segment written for its last component. */
  private readonly written = new Map<string, Buffer>();
  /** Written folder path (latin1) -> fold keys taken in it. */
  private readonly taken = new Map<string, Set<string>>();
  private readonly folds: boolean;
  readonly mapped: MappedName[] = [];

  constructor(
    entries: Iterable<ManifestEntry>,
    private readonly traits: TargetTraits,
  ) {
    this.folds = traits.caseInsensitive || traits.normalizationInsensitive;
    if (!this.folds && !traits.windows) return;
    for (const e of entries) this.segments(e);
  }

  /** The segments restore writes for `e`, relative to the target. */
  segments(e: ManifestEntry): Buffer[] {
    const stored = byteSegments(e);
    if (!this.folds && !this.traits.windows) return stored;
    const out: Buffer[] = [];
    let prefix = "";
    let parent = "";
    for (const seg of stored) {
      prefix = prefix ? `${prefix}/${seg.toString("latin1")}` : seg.toString("latin1");
      let name = this.written.get(prefix);
      if (!name) {
        name = this.place(parent, seg);
        this.written.set(prefix, name);
        if (!name.equals(seg)) {
          this.mapped.push({
            path: pathFromBytes(Buffer.from(prefix, "latin1")).path,
            restoredAs: [...out, name].map((s) => s.toString("utf8")).join("/"),
          });
        }
      }
      out.push(name);
      parent = parent ? `${parent}/${name.toString("latin1")}` : name.toString("latin1");
    }
    return out;
  }

  private place(parent: string, seg: Buffer): Buffer {
    const escapeAll = this.traits.windows || (this.traits.normalizationInsensitive && utf8OrNull(seg) === null);
    const safe = escapeAll ? windowsSafeName(seg) : null;
    const own = safe === null ? seg : Buffer.from(safe, "utf8");
    if (!this.folds) return own;
    let taken = this.taken.get(parent);
    if (!taken) this.taken.set(parent, (taken = new Set()));
    const claim = (name: Buffer) => {
      const key = nameKey(name.toString("utf8"), this.traits);
      if (taken.has(key)) return false;
      taken.add(key);
      return true;
    };
    if (claim(own)) return own;
    // The suffix goes on the escaped form even off Windows: only then does windowsOriginalName()
    // give the stored bytes back (a stored `%41` or `%~2` is escaped, not read as an escape).
    const base = safe ?? windowsSafeName(seg);
    const escaped = Buffer.from(base, "utf8");
    if (!escaped.equals(own) && claim(escaped)) return escaped;
    for (let n = 2; ; n++) {
      const candidate = Buffer.from(suffixed(base, n), "utf8");
      if (claim(candidate)) return candidate;
    }
  }
}
