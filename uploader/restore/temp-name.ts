// Temporary names for files and links being restored: short whatever the final name is (a 255-byte
// name must restore: `.<name>.partial` would not fit the limit), lower case (the same on every
// target), and random, so a name planted before the restore is not predictable; files are created
// with O_EXCL, so a collision fails rather than writes through something that was there.
import { randomBytes } from "node:crypto";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** `.ds-` and 12 base32 characters (60 random bits). */
export function tempName(): string {
  const bytes = randomBytes(8);
  let bits = bytes.readBigUInt64BE();
  let out = "";
  for (let i = 0; i < 12; i++) {
    out += BASE32[Number(bits & 31n)];
    bits >>= 5n;
  }
  return `.ds-${out}`;
}


/** The exact names tempName() gives (`name` as bytes), and the probe's (target-probe.ts). */
const TEMP = /^\.ds-[a-z2-7]{12}(?:-\xc3\xa9)?$/;

export function isTempName(name: Buffer): boolean {
  return name.length <= 19 && TEMP.test(name.toString("latin1"));
}
