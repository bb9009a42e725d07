// The shapes of data the end-to-end driver runs both tools on (`--scenario`): each is a
// deterministic tree and the change made to it before the incremental re-run.
import path from "node:path";
import { applyEdits, generate } from "./dataset.ts";
import { generateDumps, editDumps } from "./dumps.ts";
import { generateLibrary, touchLibrary } from "./photo-library.ts";
import type { Dataset } from "./tree.ts";

export const SCENARIOS = ["studio", "photos", "dumps"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Prepared {
  ds: Dataset;
  /** Makes the change before the incremental run; returns its description. */
  edit(): Promise<string>;
}

export interface Scenario {
  name: ScenarioName;
  /** What the tree is, for the report's heading. */
  title: string;
  /** How the report names the incremental step. */
  incremental: string;
  /** Writes the tree into `dir` (a fresh directory per repetition). */
  prepare(dir: string, seed: string): Promise<Prepared>;
}

export interface ScenarioSizes {
  sizeMiB: number;
  files: number;
}

export function scenario(name: ScenarioName, s: ScenarioSizes): Scenario {
  switch (name) {
    case "studio":
      return {
        name,
        title: `synthetic studio, ${s.sizeMiB} MiB: a database backup and large photos`,
        incremental: "incremental",
        prepare: async (dir, seed) => {
          const ds = await generate(path.join(dir, "studio-pc"), s.sizeMiB, seed);
          return { ds, edit: async () => (await applyEdits(ds, seed)).description };
        },
      };
    case "photos":
      return {
        name,
        title: `photo library, ${s.files} files: sidecars, thumbnails, cache files, previews and some raws in year/session folders`,
        incremental: "1 %-touched re-run",
        prepare: async (dir, seed) => {
          const ds = await generateLibrary(path.join(dir, "studio-pc"), s.files, seed);
          return { ds, edit: () => touchLibrary(ds, seed) };
        },
      };
    case "dumps":
      return {
        name,
        title: `database dumps, ${s.sizeMiB} MiB: a binary dump with attachments and a plain-text SQL dump`,
        incremental: "after scattered edits",
        prepare: async (dir, seed) => {
          const ds = await generateDumps(path.join(dir, "studio-pc"), s.sizeMiB, seed);
          return { ds, edit: () => editDumps(ds, seed) };
        },
      };
  }
}

export function parseScenarios(list: string): ScenarioName[] {
  const names = list
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(SCENARIOS as readonly string[]).includes(n))
      throw new Error(`--scenario: unknown "${n}" (one or more of ${SCENARIOS.join(",")})`);
  }
  return [...new Set(names)] as ScenarioName[];
}
