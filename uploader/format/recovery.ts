import { FormatError } from "./errors.ts";

/**
 * Recovery key text: 32 random bytes as Crockford base32 (no I, L, O, U: nothing to
 * confuse when read off paper), 52 symbols in groups of 4 joined by '-'. Parsing forgives
 * case, spaces, dashes, and the usual misreadings (O->0, I/L->1).
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RECOVERY_BYTES = 32;
const SYMBOLS = Math.ceil((RECOVERY_BYTES * 8) / 5); // 52

export function formatRecoveryKey(bytes: Uint8Array): string {
  if (bytes.length !== RECOVERY_BYTES) throw new FormatError("BAD_ARGUMENT", "recovery key must be 32 bytes");
  let out = "";
  let acc = 0;
  let nbits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    nbits += 8;
    while (nbits >= 5) {
      nbits -= 5;
      out += ALPHABET[(acc >> nbits) & 31];
    }
    acc &= (1 << nbits) - 1;
  }
  if (nbits > 0) out += ALPHABET[(acc << (5 - nbits)) & 31];
  return out.match(/.{1,4}/g)!.join("-");
}

export function parseRecoveryKey(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  if (clean.length !== SYMBOLS) throw new FormatError("BAD_RECOVERY_KEY", `expected ${SYMBOLS} symbols`);
  const out = Buffer.alloc(RECOVERY_BYTES);
  let acc = 0;
  let nbits = 0;
  let o = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new FormatError("BAD_RECOVERY_KEY", `invalid character ${JSON.stringify(ch)}`);
    acc = ((acc << 5) | v) & 0xfff;
    nbits += 5;
    if (nbits >= 8) {
      nbits -= 8;
      out[o++] = (acc >> nbits) & 0xff;
    }
  }
  // 52*5 = 260 bits: the 4 padding bits must be zero, so each key has one spelling.
  if ((acc & ((1 << nbits) - 1)) !== 0) throw new FormatError("BAD_RECOVERY_KEY", "non-canonical last symbol");
  return out;
}
