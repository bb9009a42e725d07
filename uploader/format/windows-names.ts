/**
 * Names a restore target cannot hold (FORMAT.md §6, "Names on Windows and case-insensitive
 * targets"): a studio must never lose a file to its name, so instead of refusing it the restorer
 * writes it under a mapped name and reports the mapping. The mapping is injective, so
 * windowsOriginalName() gives the stored name back:
 *
 * - `%XX` (two hex digits) stands for the byte 0xXX. Escaped: every byte of an invalid UTF-8
 *   sequence; control characters U+0000-U+001F and `"*:<>?\|`; a trailing `.` or space (Windows
 *   drops them); the first character of a reserved device name (`con.txt` -> `%63on.txt`).
 * - `%` itself becomes `%25` only where it would otherwise be read as an escape: followed by two
 *   hex digits (either case) or by `~`. `100% done.jpg` is left alone.
 * - Case collisions: `%~N` (N >= 2) is a suffix no mapped name can otherwise contain
 *   (CaseCollisions below).
 */

const FORBIDDEN = new Set([0x22, 0x2a, 0x3a, 0x3c, 0x3e, 0x3f, 0x5c, 0x7c]); // " * : < > ? \ |
const RESERVED = new Set([
  "CON",
  "PRN",
  "AUX",
  "NUL",
  "CONIN$",
  "CONOUT$",
  ...[..."0123456789\u00b9\u00b2\u00b3"].flatMap((d) => [`COM${d}`, `LPT${d}`]),
]);
const PERCENT = 0x25;
const TILDE = 0x7e;

const hex2 = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
const isHex = (c: number | undefined) =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

/** Length of the valid UTF-8 sequence starting at i (RFC 3629), or 0 when the byte there is invalid. */
function utf8Length(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => b[i + k] !== undefined && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const [lo, hi] = c === 0xe0 ? [0xa0, 0xbf] : c === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const [lo, hi] = c === 0xf0 ? [0x90, 0xbf] : c === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function isReserved(text: string): boolean {
  const stem = text.split(".")[0]!.replace(/[ .]+$/, "");
  return RESERVED.has(stem.toUpperCase());
}

/**
 * The name (one path segment, as stored: bytes) a Windows restorer writes. Equal to the stored
 * name whenever that is valid UTF-8 and legal on Windows, which is nearly always.
 */
export function windowsSafeName(name: Uint8Array): string {
  const text = Buffer.from(name).toString("utf8");
  let out = "";
  for (let i = 0; i < name.length;) {
    const n = utf8Length(name, i);
    const c = name[i]!;
    if (n === 0) out += hex2(c);
    else if (n > 1) out += Buffer.from(name.subarray(i, i + n)).toString("utf8");
    else if (c < 0x20 || FORBIDDEN.has(c)) out += hex2(c);
    else if (c === PERCENT && (name[i + 1] === TILDE || (isHex(name[i + 1]) && isHex(name[i + 2])))) out += "%25";
    else if (i === 0 && isReserved(text)) out += hex2(c);
    else if (i === name.length - 1 && (c === 0x2e || c === 0x20)) out += hex2(c);
    else out += String.fromCharCode(c);
    i += n || 1;
  }
  return out;
}

/** The stored name (bytes) behind a mapped one: `%XX` decoded, a `%~N` suffix removed. */
export function windowsOriginalName(safe: string): Buffer {
  const bytes = Buffer.from(safe, "utf8");
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === PERCENT && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out.push(parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16));
      i += 2;
    } else if (c === PERCENT && bytes[i + 1] === TILDE) {
      i += 1;
      while (bytes[i + 1] !== undefined && bytes[i + 1]! >= 0x30 && bytes[i + 1]! <= 0x39) i++;
    } else {
      out.push(c);
    }
  }
  return Buffer.from(out);
}

/**
 * One folder's names on a case-insensitive target (Windows, default macOS). Names are compared
 * as `toUpperCase(NFC(name))`, which folds at least what NTFS and APFS fold (a false match only
 * costs a suffix). The first name of each folded form, in manifest order, keeps its name; a later
 * one gets `%~N` before its last `.` (unless that dot starts the name), else at its end, with the
 * smallest N >= 2 not yet taken. Holds one folder's names: a restorer keeps one per open folder.
 */
export class CaseCollisions {
  private readonly taken = new Set<string>();

  /** The name to write for `safe` (a windowsSafeName result) in this folder. */
  place(safe: string): string {
    if (this.claim(safe)) return safe;
    const dot = safe.lastIndexOf(".");
    const [stem, ext] = dot > 0 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, ""];
    for (let n = 2; ; n++) {
      const candidate = `${stem}%~${n}${ext}`;
      if (this.claim(candidate)) return candidate;
    }
  }

  private claim(name: string): boolean {
    const key = name.normalize("NFC").toUpperCase();
    if (this.taken.has(key)) return false;
    this.taken.add(key);
    return true;
  }
}
