// What restore refuses in a manifest before it writes anything. A manifest is signed by a device,
// and a compromised device signs whatever it likes: the format layer (format/manifest.ts) already
// refuses unclean paths, duplicates and bodies out of canonical order, and restore checks again
// here: a path that could leave the target, and, through the same canonical-order check
// (format/entry-order.ts), an entry under a file or a symlink (`x -> /home/u/.ssh`, then
// `x/authorized_keys`), a duplicate, or an entry whose folder is not an entry before it. No backup
// of a real tree produces any of these, so one of them refuses the whole restore (UNSAFE_MANIFEST).
//
// Memory: the current entry's ancestors (one path's depth), not the whole list. This holds for both
// orders a reader meets: bodies in canonical byte order, and older ones whose siblings are in
// UTF-16 order (EntryOrderCheck accepts either, consistently). Both are preorder walks, and what
// these checks need of the order is only that: every entry comes after its folder's entry, inside
// that folder's run, and after its previous sibling, so a duplicate, or an entry below a file or
// link, is always next to (or inside the run of) what it conflicts with.
//
// Names that are distinct on the studio's disk but the same on the restore target (case
// folding, NFC/NFD on APFS), or that Windows cannot hold, are not hostile: they are restored under
// a reversible, reported mapping (target-names.ts). These checks work on the stored bytes.
import type { ManifestEntry } from "../format/index.ts";
import { EntryOrderCheck, entryPathBytes, FormatError } from "../format/index.ts";
import { CliError } from "../errors.ts";

/** What the restore target's filesystem treats as the same name (target-probe.ts). */
export interface TargetTraits {
  caseInsensitive: boolean;
  normalizationInsensitive: boolean;
  /** Windows rules for names (`con.txt`, `a:b`, ...): such names are mapped (target-names.ts). */
  windows: boolean;
}

/**
 * Why `p` (a stored path, one char per byte: latin1) is not a clean relative path, or null. The
 * format layer refuses these too; a drive letter or `\` on Windows is a name there, escaped by
 * the mapping (target-names.ts), not a way out of the target.
 */
export function pathProblem(p: unknown): string | null {
  if (typeof p !== "string" || p.length === 0) return "empty or not a string";
  if (p.includes("\0")) return "contains NUL";
  if (p.startsWith("/")) return "absolute";
  for (const seg of p.split("/")) {
    if (seg === "") return "empty component";
    if (seg === "." || seg === "..") return `'${seg}' component`;
  }
  return null;
}

/** Throws UNSAFE_MANIFEST at the first unsafe entry. */
export function checkEntries(entries: Iterable<ManifestEntry>): void {
  const checker = new EntryChecker();
  for (const e of entries) checker.accept(e);
}

/** checkEntries() one entry at a time, in manifest order. */
export class EntryChecker {
  private readonly order = new EntryOrderCheck();

  accept(e: ManifestEntry): void {
    const p = typeof e.path === "string" || e.pathBytes ? entryPathBytes(e).toString("latin1") : undefined;
    const bad = pathProblem(p);
    if (bad || p === undefined) refuse(`${JSON.stringify(e.path)}: ${bad}`);
    try {
      this.order.accept(e);
    } catch (err) {
      if (err instanceof FormatError) refuse(err.message);
      throw err;
    }
  }
}

function refuse(problem: string): never {
  throw new CliError(
    "UNSAFE_MANIFEST",
    `refusing this restore point: its manifest could write outside the target or over itself: ${problem}`,
    { problems: [problem] },
  );
}
