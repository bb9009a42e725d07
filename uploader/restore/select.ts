// `--path P` selects an entry and everything below it, in the restore point's namespace
// (`Photos/2024/a.jpg`, `Photos/2024`, `Photos`). A path that matches nothing is an error.
import type { ManifestEntry } from "../format/index.ts";
import { CliError, EXIT } from "../errors.ts";

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
  if (unmatched.length) throw new CliError("PATH_NOT_FOUND", `not in this restore point: ${unmatched.join(", ")}`, EXIT.notFound);
  return out;
}
