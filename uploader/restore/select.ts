// `--path P` selects an entry and everything below it, in the restore point's namespace
// (`Photos/2024/a.jpg`, `Photos/2024`, `Photos`). A path that matches nothing is an error.
// A name that is not UTF-8 is matched by its display form (`entry.path`: each invalid byte shown
// as U+FFFD, as restore and backup print it), because a command line is text: Node decodes argv
// as UTF-8 and cannot hand over the bytes. A display form shared by several byte names selects
// them all. For every UTF-8 name the display form is its bytes. The stored name is matched, not
// a mapped one (target-names.ts).
import type { ManifestEntry } from "../format/index.ts";
import { CliError } from "../errors.ts";

export function selectEntries(entries: ManifestEntry[], paths: string[]): ManifestEntry[] {
  const selector = new EntrySelector(paths);
  const out = entries.filter((e) => selector.selects(e));
  selector.throwIfUnmatched();
  return out;
}

/** selectEntries() one entry at a time (a restore streams its manifest: manifest-spool.ts). */
export class EntrySelector {
  readonly wanted: string[];
  private readonly matched = new Set<string>();

  constructor(paths: string[]) {
    this.wanted = paths.map((p) => p.replace(/\\/g, "/").replace(/^\/+|\/+$/g, ""));
  }

  selects(e: ManifestEntry): boolean {
    if (this.wanted.length === 0) return true;
    let hit = false;
    for (const w of this.wanted) {
      if (e.path === w || e.path.startsWith(`${w}/`)) {
        this.matched.add(w);
        hit = true;
      }
    }
    return hit;
  }

  /** Once every entry was seen: a path that matched nothing is an error. */
  throwIfUnmatched(): void {
    const unmatched = this.wanted.filter((w) => !this.matched.has(w));
    if (unmatched.length) throw new CliError("PATH_NOT_FOUND", `not in this restore point: ${unmatched.join(", ")}`);
  }

  /** Whether a stored path lies on the way to a selected entry or is one (its mapping is reported). */
  covers(storedPath: string): boolean {
    if (this.wanted.length === 0) return true;
    return this.wanted.some((w) => storedPath === w || storedPath.startsWith(`${w}/`) || w.startsWith(`${storedPath}/`));
  }
}
