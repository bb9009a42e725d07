// Flushing many restored files at once. Node has no syncfs(): on Linux, coreutils' `sync -f DIR...`
// makes one syncfs() call per filesystem named, which writes back a batch of 1,000 small files in
// one journal commit (20,000 files of a photo library: 0.4 s, where an fsync per file, 64 in
// flight, took 4 s more than writing them). Elsewhere (Windows, macOS) or when `sync` cannot run,
// the caller syncs each file itself.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { isUtf8 } from "node:buffer";

/** Syncs the filesystems holding `dirs`; false when it could not (the caller then syncs each file). */
export type SyncFilesystems = (dirs: ReadonlyArray<string | Buffer>) => Promise<boolean>;

/** A fixed path, not a PATH lookup: restore runs as the user, often elevated. */
const SYNC = ["/usr/bin/sync", "/bin/sync"].find((p) => process.platform === "linux" && existsSync(p));

/** The platform's batch sync, or null where there is none. */
export function filesystemSync(): SyncFilesystems | null {
  if (!SYNC) return null;
  return async (dirs) => {
    // A folder name that is not UTF-8 cannot be passed as an argument: its files are synced one by one.
    if (dirs.some((d) => typeof d !== "string" && !isUtf8(d))) return false;
    const args = [...new Set(dirs.map((d) => d.toString()))];
    return new Promise<boolean>((resolve) => {
      execFile(SYNC, ["-f", "--", ...args], { timeout: 10 * 60_000 }, (err) => resolve(!err));
    });
  };
}
