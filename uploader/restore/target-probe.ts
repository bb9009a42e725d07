// Which names the restore target treats as the same file. Asked of the target itself rather than
// guessed from the platform: Linux mounts case-insensitive filesystems (vfat, ext4 casefold, SMB
// shares) and macOS can format APFS case-sensitive. The probe creates one file in the target under
// a random name and looks it up under other spellings, then removes it.
import { lstat, open, unlink } from "node:fs/promises";
import { constants } from "node:fs";
import path from "node:path";
import type { TargetTraits } from "./entry-checks.ts";
import { tempName } from "./temp-name.ts";

export type ProbeTarget = (dir: string) => Promise<TargetTraits>;

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ENOTDIR") return false;
      throw err;
    },
  );

/** What the platform's usual filesystem does (NTFS, APFS), when the target cannot be probed. */
const platformDefault = (): TargetTraits => ({
  caseInsensitive: process.platform === "win32" || process.platform === "darwin",
  normalizationInsensitive: process.platform === "darwin",
  windows: process.platform === "win32",
});

/** `dir`: a real directory. A target restore cannot write in gets the platform's default. */
export const probeTarget: ProbeTarget = async (dir) => {
  // "é" precomposed (NFC); the lookups use "É" (case) and "e" + U+0301 (NFD).
  const name = `${tempName()}-\u00e9`;
  const file = path.join(dir, name);
  try {
    await (await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600)).close();
  } catch {
    return platformDefault();
  }
  try {
    const caseInsensitive = await exists(path.join(dir, name.toUpperCase()));
    const normalizationInsensitive = await exists(path.join(dir, name.normalize("NFD")));
    return { ...platformDefault(), caseInsensitive, normalizationInsensitive };
  } finally {
    await unlink(file);
  }
};
