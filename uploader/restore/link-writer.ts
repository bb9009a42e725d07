// Restored symlinks are made like files: created under a random name in their (checked) folder,
// given their time, then renamed over the final name. rename() replaces a file or link there
// without following it and fails on a folder; symlink() itself never follows anything. The link's
// target is stored as the backup found it and is never resolved by restore.
import { lutimes, rename, symlink, unlink } from "node:fs/promises";
import path from "node:path";
import { tempName } from "./temp-name.ts";

export async function placeSymlink(dir: string, name: string, target: string, mtimeSec: number): Promise<void> {
  let temp = "";
  for (let attempt = 0; !temp; attempt++) {
    const candidate = path.join(dir, tempName());
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
    await rename(temp, path.join(dir, name));
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
