// `datasafe restore`: opens a restore point (open-restore-point.ts) and writes its entries into
// DIR/<entry>/... (restore-entries.ts: what is checked, in which order, and what is never
// followed). Each file goes to a temporary name and is renamed once complete and synced, so an
// interrupted restore can be run again: files already restored (same size and mtime) are skipped,
// other existing files are refused unless --overwrite, and the temporary files a killed run left
// are removed. Files that cannot be written are reported and the others restored (exit 5); names
// the target cannot hold are restored under a reversible mapping and reported (exit 0).
import { ApiClient } from "../api/client.ts";
import { deviceCredentials } from "../api/credentials.ts";
import type { Progress } from "../progress.ts";
import type { DeviceState } from "../state.ts";
import { defaultPoolSize } from "../crypto/crypto-pool.ts";
import { openRestorePoint } from "./open-restore-point.ts";
import { restoreEntries, type FailedEntry } from "./restore-entries.ts";
import type { MappedName } from "./target-names.ts";
import type { ProbeTarget } from "./target-probe.ts";

export interface RestoreOptions {
  state: DeviceState;
  passphrase: string;
  id: string;
  to: string;
  paths: string[];
  overwrite: boolean;
  /** Keep setuid, setgid and sticky bits (dropped by default). */
  keepSpecialBits?: boolean;
  progress: Progress;
  parallel?: number;
  probe?: ProbeTarget;
}

export interface RestoreResult {
  restorePointId: string;
  files: number;
  bytes: number;
  /** Entries not restored, with the reason; the others were. */
  failed: FailedEntry[];
  /** Names the target cannot hold (Windows, case collisions), restored under their mapping. */
  mapped: MappedName[];
  /** Chunks read straight from the bucket (presigned GET) and through the API. */
  chunksDirect: number;
  chunksRelayed: number;
  durationMs: number;
}

export async function runRestore(o: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const api = new ApiClient(o.state.server, deviceCredentials(o.state));
  const rp = await openRestorePoint(api, o.state, o.passphrase, o.id, { workers: defaultPoolSize() });
  try {
    const r = await restoreEntries(rp, {
      to: o.to,
      paths: o.paths,
      overwrite: o.overwrite,
      keepSpecialBits: Boolean(o.keepSpecialBits),
      progress: o.progress,
      parallel: o.parallel,
      probe: o.probe,
    });
    return {
      restorePointId: rp.view.id,
      ...r,
      chunksDirect: rp.fetches.direct,
      chunksRelayed: rp.fetches.relay,
      durationMs: Date.now() - started,
    };
  } finally {
    await rp.close();
  }
}
