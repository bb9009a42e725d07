// What restore refuses in a manifest before it writes anything. A manifest is signed by a device,
// and a compromised device signs whatever it likes: the format layer (format/manifest.ts) already
// refuses unclean paths and duplicates, and restore checks again here, together with what only the
// whole list shows: an entry under a file or a symlink (`x -> /home/u/.ssh`, then
// `x/authorized_keys`), in either order. No backup of a real tree produces any of these, so one
// of them refuses the whole restore (UNSAFE_MANIFEST).
//
// Names that are distinct on the studio's disk but the same on the restore target (case
// folding, and NFC/NFD on normalization-insensitive targets such as APFS) are not hostile: a
// Linux share may hold `A.jpg` and `a.jpg`. The later entry, and whatever lies under it, is a
// per-entry conflict: not restored, reported with the name it collides with. (Issue 16 wants a
// reversible, reported mapping to another name instead; that is left.) Folders that fold to the
// same name merge, as the target itself would merge them; their files are checked one by one.
//
// Memory: one map entry per path (and a second, folded, on case-insensitive targets). Once the
// manifest's order is canonical (parent before child, siblings sorted bytewise: issue 16), a stack
// of the current path's ancestors suffices; these checks do not rely on any order today.
import type { ManifestEntry } from "../format/index.ts";
import { CliError, EXIT } from "../errors.ts";

/** What the restore target's filesystem treats as the same name (target-probe.ts). */
export interface TargetTraits {
  caseInsensitive: boolean;
  normalizationInsensitive: boolean;
  /** Windows paths: `\` and `:` are separators or stream names there, not name bytes. */
  windows: boolean;
}

/**
 * The one mapping from a manifest entry's path to file-system name components (relative to the
 * restore target). Byte names (issue 16) change this function only.
 */
export function entrySegments(entryPath: string): string[] {
  return entryPath.split("/");
}

/** Why `p` is not a clean relative path for this target, or null. */
export function pathProblem(p: unknown, traits: Pick<TargetTraits, "windows">): string | null {
  if (typeof p !== "string" || p.length === 0) return "empty or not a string";
  if (p.includes("\0")) return "contains NUL";
  if (p.startsWith("/")) return "absolute";
  if (traits.windows && /^[A-Za-z]:/.test(p)) return "absolute (drive letter)";
  for (const seg of entrySegments(p)) {
    if (seg === "") return "empty component";
    if (seg === "." || seg === "..") return `'${seg}' component`;
    if (traits.windows && /[\\:]/.test(seg)) return `'\\' or ':' in a component (a separator or a stream on Windows)`;
  }
  return null;
}

/** The key under which the target stores a name: equal keys are the same file there. */
export function foldKey(name: string, traits: Omit<TargetTraits, "windows">): string {
  let k = name;
  // toUpperCase().toLowerCase() approximates Unicode full case folding (ß -> ss, ς -> σ); over-
  // folding only reports a conflict the target may not have, never misses one.
  if (traits.caseInsensitive) k = k.toUpperCase().toLowerCase();
  if (traits.normalizationInsensitive || traits.caseInsensitive) k = k.normalize("NFD");
  return k;
}

export interface Collision {
  path: string;
  /** The entry restored under the name this one takes on the target. */
  with: string;
}

type Kind = "dir" | "file" | "symlink" | "implicit";
const MAX_LISTED = 20;

/**
 * Throws UNSAFE_MANIFEST if any entry is unsafe; returns the entries that collide on this target
 * (each to be reported, and not restored).
 */
export function checkEntries(entries: Iterable<ManifestEntry>, traits: TargetTraits): Collision[] {
  const problems: string[] = [];
  let count = 0;
  const exact = new Map<string, Kind>();
  const folds = traits.caseInsensitive || traits.normalizationInsensitive;
  const folded = new Map<string, { kind: Kind; path: string }>();
  const collisions: Collision[] = [];
  const problem = (msg: string) => {
    if (count++ < MAX_LISTED) problems.push(msg);
  };

  for (const e of entries) {
    const bad = pathProblem(e.path, traits);
    if (bad) {
      problem(`${JSON.stringify(e.path)}: ${bad}`);
      continue;
    }
    const segs = entrySegments(e.path);
    let collided: string | null = null;
    let prefix = "";
    for (let i = 0; i < segs.length - 1; i++) {
      prefix = i === 0 ? segs[0]! : `${prefix}/${segs[i]}`;
      const kind = exact.get(prefix);
      if (kind === "file" || kind === "symlink") {
        problem(`${JSON.stringify(e.path)} lies under the ${kind} ${JSON.stringify(prefix)}`);
        break;
      }
      if (!kind) exact.set(prefix, "implicit");
      if (folds && !collided) {
        const key = foldKey(prefix, traits);
        const other = folded.get(key);
        if (!other) folded.set(key, { kind: "implicit", path: prefix });
        else if (other.path !== prefix && (other.kind === "file" || other.kind === "symlink")) collided = other.path;
      }
    }
    const kind = exact.get(e.path);
    if (kind === "implicit" && e.type !== "dir") problem(`the ${e.type} ${JSON.stringify(e.path)} has entries under it`);
    else if (kind === "implicit") exact.set(e.path, "dir");
    else if (kind) problem(`${JSON.stringify(e.path)} appears twice`);
    else exact.set(e.path, e.type);
    if (!folds) continue;

    const key = foldKey(e.path, traits);
    const other = folded.get(key);
    if (!collided && other && other.path !== e.path && !(e.type === "dir" && (other.kind === "dir" || other.kind === "implicit"))) {
      collided = other.path;
    }
    if (collided) collisions.push({ path: e.path, with: collided });
    else if (!other || other.kind === "implicit") folded.set(key, { kind: e.type, path: other?.path ?? e.path });
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
  return collisions;
}
