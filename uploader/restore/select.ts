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
  if (paths.length === 0) return entries;
  const wanted = paths.map((p) => p.replace(/\\/g, "/").replace(/^\/+|\/+$/g, ""));
  const matched = new Set<string>();
  const out = entries.filter((e) =>
    wanted.some((w) => {
      const hit = e.path === w || e.path.startsWith(`${w}/`);
      if (hit) matched.add(w);
      return hit;
    }),
  );
  const unmatched = wanted.filter((w) => !matched.has(w));
  if (unmatched.length) throw new CliError("PATH_NOT_FOUND", `not in this restore point: ${unmatched.join(", ")}`);
  return out;
}
