// Exclude patterns: what a backup leaves out of each source.
//
// Contract (gitignore semantics, through the `ignore` package, relative to each source's root):
// - A pattern is matched against the path below the source (`Shoot 1/IMG_1.CR3` for
//   `<source>/Shoot 1/IMG_1.CR3`), always with `/` as separator, on every OS.
// - A pattern with a slash at its start or in its middle is anchored to the source root
//   (`/Exports/` or `Jobs/tmp/`); without one it matches a name at any depth (`Thumbs.db`).
// - A trailing slash matches folders only (`Cache/`); `*` and `?` never cross a `/`; `**` does.
// - `!pattern` re-includes what an earlier pattern excluded (not inside an excluded folder:
//   an excluded folder is never listed, as in git).
// - Matching is case-sensitive, as in git, on every OS.
// - A name that is not valid UTF-8 is matched through its display form (each bad byte becomes
//   U+FFFD), so `*.tmp` still matches `caf\xe9.tmp`; a pattern can not name the bad bytes.
// - The source itself (the folder or file the studio named) is never excluded.
// Order: the defaults (when on), then the source's own patterns, so a studio's `!` can take a
// default back (`!Thumbs.db`).
import ignore, { type Ignore } from "ignore";
import { usage } from "../errors.ts";

/**
 * Left out unless the studio turns the defaults off. Each is a cache or a marker that the
 * application or the OS rebuilds by itself, so nothing is lost by not restoring it. Deliberately
 * NOT here (they can hold the only copy of something): Lightroom catalogs and everything beside
 * them (`*.lrcat`, `*.lrcat-data` with AI masks, `*.lrcat-wal`/`-shm` journals, `Helper.lrdata`),
 * Lightroom Smart Previews (the only editable stand-in when the originals sit on a drive that is not
 * backed up), Capture One settings and adjustments (`CaptureOne/Settings*`, `.cos` files),
 * AppleDouble `._*` files (on exFAT and network shares they hold the Finder tags and labels of
 * their file), and `*.tmp` (some applications keep autosaves under that name).
 */
export const DEFAULT_EXCLUDES: readonly string[] = [
  // Lightroom Classic standard/1:1 previews ("<Catalog> Previews.lrdata"), rebuilt from the originals.
  "* Previews.lrdata/",
  // ... but not Smart Previews ("<Catalog> Smart Previews.lrdata"), which the line above would match.
  "!* Smart Previews.lrdata/",
  // Capture One session caches (proxies, thumbnails) in each session folder's CaptureOne/ folder,
  // and a catalog's cache inside its package; the settings next to them are kept.
  "**/CaptureOne/Cache/",
  "**/*.cocatalog/Cache/",
  // Windows thumbnail caches and folder view settings.
  "Thumbs.db",
  "ehthumbs.db",
  "desktop.ini",
  // macOS Finder view settings, Spotlight index, file system event log, per-volume trash.
  ".DS_Store",
  ".Spotlight-V100/",
  ".fseventsd/",
  ".Trashes/",
  // Deleted files: earlier restore points already hold them.
  "$RECYCLE.BIN/",
  "System Volume Information/",
  ".Trash-*/",
  // Lock files of open documents: Microsoft Office owner files and LibreOffice locks.
  "~$*",
  ".~lock.*#",
];

/** Bounds on a studio's own patterns (per source). */
export const MAX_PATTERNS = 200;
export const MAX_PATTERN_LENGTH = 500;

export interface ExcludeSpec {
  /** Also apply DEFAULT_EXCLUDES (before `patterns`). */
  defaults: boolean;
  patterns: readonly string[];
}

export const DEFAULT_SPEC: ExcludeSpec = { defaults: true, patterns: [] };

/** Why a pattern is refused, or null. Shared by the CLI flags and the agent's configuration. */
export function patternProblem(p: string): string | null {
  if (p.trim() === "" || p === "!") return "is empty";
  if (p.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  if (/[\0\r\n]/.test(p)) return "contains a control character (NUL or a line break)";
  if (p.startsWith("#")) return "starts with # (a comment in gitignore syntax; write \\# for a name starting with #)";
  return null;
}

export function checkPatterns(patterns: readonly string[], where: string): void {
  if (patterns.length > MAX_PATTERNS) throw usage(`${where}: at most ${MAX_PATTERNS} exclude patterns`);
  for (const p of patterns) {
    const problem = patternProblem(p);
    if (problem) throw usage(`${where}: exclude pattern "${p.slice(0, 80)}" ${problem}`);
  }
}

/** The patterns in force for a spec, in the order they apply. */
export const patternsOf = (spec: ExcludeSpec): string[] => [...(spec.defaults ? DEFAULT_EXCLUDES : []), ...spec.patterns];

// `ignore` memoizes every path it is asked about; on a million-file tree that would double the
// scanner's memory. A fresh matcher every so many checks bounds it (compiling is cheap).
const RENEW_AFTER = 10_000;

export class Excluder {
  readonly #patterns: string[];
  #ig: Ignore;
  #checks = 0;

  constructor(spec: ExcludeSpec) {
    checkPatterns(spec.patterns, "exclude");
    this.#patterns = patternsOf(spec);
    this.#ig = this.#compile();
  }

  #compile(): Ignore {
    return ignore({ ignorecase: false }).add(this.#patterns);
  }

  get empty(): boolean {
    return this.#patterns.length === 0;
  }

  /** `rel`: '/'-separated path below the source root (display form), never empty. */
  excludes(rel: string, isDir: boolean): boolean {
    if (this.empty || rel === "") return false;
    if (++this.#checks > RENEW_AFTER) {
      this.#ig = this.#compile();
      this.#checks = 0;
    }
    try {
      return this.#ig.ignores(isDir ? `${rel}/` : rel);
    } catch {
      // A name `ignore` refuses as a path (it can not come from a real listing): keep the file.
      return false;
    }
  }
}
