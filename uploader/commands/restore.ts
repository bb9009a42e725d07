// `datasafe restore ID --to DIR`: a restore point (or `latest`) into a folder, with the studio
// passphrase. The work is restore/run-restore.ts; this file is what the command adds around it.
import { mb } from "../output.ts";
import type { Progress } from "../progress.ts";
import { runRestore, type RestoreResult } from "../restore/run-restore.ts";
import { loadDeviceState } from "../state.ts";

export interface RestoreCommandOptions {
  home: string;
  passphrase: () => Promise<string>;
  id: string;
  to: string;
  paths: string[];
  overwrite: boolean;
  keepSpecialBits: boolean;
  progress: Progress;
}

export async function restore(o: RestoreCommandOptions): Promise<RestoreResult> {
  const state = await loadDeviceState(o.home);
  return runRestore({
    state,
    passphrase: await o.passphrase(),
    id: o.id,
    to: o.to,
    paths: o.paths,
    overwrite: o.overwrite,
    keepSpecialBits: o.keepSpecialBits,
    progress: o.progress,
  });
}

export function describeRestore(r: RestoreResult): string {
  const failed = r.failed.length ? `\n${r.failed.length} not restored:\n${r.failed.map((f) => `  ${f.path}: ${f.error}`).join("\n")}` : "";
  // Not a failure: every file is there, under a name this target can hold (FORMAT.md §6).
  const shown = r.mapped.slice(0, 50).map((m) => `  ${m.path} -> ${m.restoredAs}`);
  if (r.mapped.length > shown.length) shown.push(`  (and ${r.mapped.length - shown.length} more: --json lists them all)`);
  const mapped = r.mapped.length
    ? `\n${r.mapped.length} names this target cannot hold, restored under another name (FORMAT.md §6):\n${shown.join("\n")}`
    : "";
  return `restored ${r.files} files (${mb(r.bytes)}) from ${r.restorePointId} in ${(r.durationMs / 1000).toFixed(1)} s${mapped}${failed}`;
}
