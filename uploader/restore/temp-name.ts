// Temporary names for files and links being restored: short whatever the final name is (a 255-byte
// name must restore: `.<name>.partial` would not fit the limit), lower case (the same on every
// target), and random, so a name planted before the restore is not predictable; files are created
// with O_EXCL, so a collision fails rather than writes through something that was there.
import { randomBytes } from "node:crypto";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** Random bytes drawn 4 KiB at a time: a restore of many small files names one per file. */
let pool = Buffer.alloc(0);
let used = 0;

/** `.ds-` and 12 base32 characters (60 random bits). */
export function tempName(): string {
  if (used + 12 > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  let out = ".ds-";
  for (let i = 0; i < 12; i++) out += BASE32[pool[used++]! & 31];
  return out;
}

/** The exact names tempName() gives (`name` as bytes), and the probe's (target-probe.ts). */
const TEMP = /^\.ds-[a-z2-7]{12}(?:-\xc3\xa9)?$/;

export function isTempName(name: Buffer): boolean {
  return name.length <= 19 && TEMP.test(name.toString("latin1"));
}
