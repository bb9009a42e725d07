// Restored symlinks are made like files: created under a random name in their (checked) folder,
// given their time, then renamed over the final name. rename() replaces a file or link there
// without following it and fails on a folder; symlink() itself never follows anything. The link's
// target is stored as the backup found it (bytes, not always UTF-8) and is never resolved by
// restore.
import { lutimes, rename, symlink, unlink } from "node:fs/promises";
import { joinBytes } from "./fs-path.ts";
import { tempName } from "./temp-name.ts";

export async function placeSymlink(dir: Buffer, name: Buffer, target: Buffer, mtimeSec: number): Promise<void> {
  let temp: Buffer | null = null;
  for (let attempt = 0; !temp; attempt++) {
    const candidate = joinBytes(dir, tempName());
    try {
      await symlink(target, candidate);
      temp = candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw err;
    }
  }
  try {
    // Some systems cannot set a link's own time; the link is still right.
    await lutimes(temp, mtimeSec, mtimeSec).catch(() => undefined);
    await rename(temp, joinBytes(dir, name));
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
