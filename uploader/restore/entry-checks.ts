// What restore refuses in a manifest before it writes anything. A manifest is signed by a device,
// and a compromised device signs whatever it likes: the format layer (format/manifest.ts) already
// refuses unclean paths and duplicates, and restore checks again here, together with what only the
// whole list shows: an entry under a file or a symlink (`x -> /home/u/.ssh`, then
// `x/authorized_keys`), in either order. No backup of a real tree produces any of these, so one
// of them refuses the whole restore (UNSAFE_MANIFEST).
//
// Names that are distinct on the studio's disk but the same on the restore target (case
// folding, NFC/NFD on APFS), or that Windows cannot hold, are not hostile: they are restored under
// a reversible, reported mapping (target-names.ts). These checks work on the stored bytes.
//
// Memory: one map entry per path. Manifests are in canonical order now (parent before child,
// siblings sorted bytewise), and a stack of the current path's ancestors would suffice for them;
// but restore also reads restore points written before that order (UTF-16 sibling order, and the
// decoder accepts both), and the names restore writes are decided per folder over the whole list
// (target-names.ts) anyway, so these checks keep not relying on any order.
import type { ManifestEntry } from "../format/index.ts";
import { entryPathBytes } from "../format/index.ts";
import { CliError, EXIT } from "../errors.ts";

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

type Kind = "dir" | "file" | "symlink" | "implicit";
const MAX_LISTED = 20;

/** Throws UNSAFE_MANIFEST if any entry is unsafe. */
export function checkEntries(entries: Iterable<ManifestEntry>): void {
  const problems: string[] = [];
  let count = 0;
  const exact = new Map<string, Kind>();
  const problem = (msg: string) => {
    if (count++ < MAX_LISTED) problems.push(msg);
  };

  for (const e of entries) {
    // latin1: one char per byte, so two byte names are one key only when they are the same bytes.
    const p = typeof e.path === "string" || e.pathBytes ? entryPathBytes(e).toString("latin1") : undefined;
    const bad = pathProblem(p);
    if (bad || p === undefined) {
      problem(`${JSON.stringify(e.path)}: ${bad}`);
      continue;
    }
    const segs = p.split("/");
    let prefix = "";
    for (let i = 0; i < segs.length - 1; i++) {
      prefix = i === 0 ? segs[0]! : `${prefix}/${segs[i]}`;
      const kind = exact.get(prefix);
      if (kind === "file" || kind === "symlink") {
        problem(`${JSON.stringify(e.path)} lies under the ${kind} ${JSON.stringify(Buffer.from(prefix, "latin1").toString("utf8"))}`);
        break;
      }
      if (!kind) exact.set(prefix, "implicit");
    }
    const kind = exact.get(p);
    if (kind === "implicit" && e.type !== "dir") problem(`the ${e.type} ${JSON.stringify(e.path)} has entries under it`);
    else if (kind === "implicit") exact.set(p, "dir");
    else if (kind) problem(`${JSON.stringify(e.path)} appears twice`);
    else exact.set(p, e.type);
  }

  if (count) {
    const listed = problems;
    const more = count > 3 ? ` (and ${count - 3} more)` : "";
    throw new CliError(
      "UNSAFE_MANIFEST",
      `refusing this restore point: its manifest could write outside the target or over itself: ${listed.slice(0, 3).join("; ")}${more}`,
      EXIT.error,
      { problems: listed },
    );
  }
}
