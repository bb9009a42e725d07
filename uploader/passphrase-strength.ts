// The strength rule for a studio's first passphrase (it creates the keys; later devices and
// restores only unlock with it). Whoever holds an enrollment token, or the server's database,
// gets the passphrase-wrapped keyset and can guess offline at the price of one scrypt per guess
// (~0.25 s and 128 MiB on a CPU core, FORMAT.md §5), so the passphrase itself must resist.
//
// The estimate follows zxcvbn's idea in miniature, with no dependency and no large dictionary:
// the passphrase is read left to right as the cheapest patterns an attacker tries first (a
// common password or word, a run of one character, an alphabet or keyboard sequence, a repeat
// of an earlier part, a year), each costing the log2 of how many such patterns there are; any
// other character costs log2 of the character classes used. Without a real dictionary it
// over-rates long phrases of ordinary words, which is why the length rule comes first.
import { CliError } from "./errors.ts";

export const MIN_PASSPHRASE_LENGTH = 12;
/** 2^45 guesses: about 280 core-years of scrypt at 0.25 s a guess. */
export const MIN_PASSPHRASE_BITS = 45;

const COMMON = [
  "password",
  "passwort",
  "passphrase",
  "qwerty",
  "azerty",
  "letmein",
  "welcome",
  "admin",
  "administrator",
  "iloveyou",
  "monkey",
  "dragon",
  "master",
  "sunshine",
  "princess",
  "football",
  "baseball",
  "soccer",
  "shadow",
  "superman",
  "batman",
  "trustno",
  "secret",
  "hello",
  "love",
  "freedom",
  "whatever",
  "summer",
  "winter",
  "spring",
  "autumn",
  "datasafe",
  "backup",
  "backups",
  "studio",
  "photo",
  "photos",
  "photography",
  "camera",
  "wedding",
  "portrait",
  "company",
  "business",
  "changeme",
  "default",
  "login",
  "access",
  "computer",
  "internet",
  "google",
  "apple",
  "windows",
  "guest",
  "user",
  "pass",
  "test",
  "acme",
  "abc",
  "qwertz",
  "office",
  "family",
  "money",
  "starwars",
  "pokemon",
];
const SEQUENCES = [
  "abcdefghijklmnopqrstuvwxyz",
  "01234567890",
  "qwertyuiop",
  "asdfghjkl",
  "zxcvbnm",
  "qwertzuiop",
  "azertyuiop",
  "yxcvbnm",
];
const LEET: Record<string, string> = { "0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s", "!": "i" };

const log2 = Math.log2;

function poolBits(chars: string[]): number {
  let pool = 0;
  if (chars.some((c) => /[a-z]/.test(c))) pool += 26;
  if (chars.some((c) => /[A-Z]/.test(c))) pool += 26;
  if (chars.some((c) => /[0-9]/.test(c))) pool += 10;
  if (chars.some((c) => /[ -/:-@[-`{-~]/.test(c))) pool += 33;
  if (chars.some((c) => c > "~")) pool += 100;
  return log2(Math.max(pool, 2));
}

/** The longest sequence (forward or backward) starting at `i`, at least 3 characters, else 0. */
function sequenceAt(lower: string, i: number): number {
  let best = 0;
  for (const seq of SEQUENCES) {
    for (const s of [seq, [...seq].reverse().join("")]) {
      let n = 0;
      while (i + n < lower.length && s.includes(lower.slice(i, i + n + 1))) n++;
      if (n >= 3 && n > best) best = n;
    }
  }
  return best;
}

/** Estimated log2 of the guesses needed, by the cheapest reading of the passphrase as patterns. */
export function estimatePassphraseBits(passphrase: string): number {
  const chars = [...passphrase.normalize("NFC")];
  const lower = chars.map((c) => c.toLowerCase()).join("");
  const plain = chars.map((c) => LEET[c] ?? c.toLowerCase()).join("");
  const perChar = poolBits(chars);
  let bits = 0;
  for (let i = 0; i < chars.length;) {
    const options: Array<[length: number, cost: number]> = [[1, perChar]];
    for (const w of COMMON) if (plain.startsWith(w, i)) options.push([w.length, log2(COMMON.length) + 1]);
    let run = 1;
    while (i + run < chars.length && chars[i + run] === chars[i]) run++;
    if (run >= 3) options.push([run, perChar + log2(run)]);
    const seq = sequenceAt(lower, i);
    if (seq) options.push([seq, log2(SEQUENCES.length * 2) + log2(26) + log2(seq)]);
    for (let n = chars.length - i; n >= 3; n--) {
      if (lower.slice(0, i).includes(lower.slice(i, i + n))) {
        options.push([n, log2(i) + log2(n)]);
        break;
      }
    }
    if (/^(19|20)\d\d/.test(lower.slice(i, i + 4))) options.push([4, log2(200)]);
    // The longest pattern wins; among equally long ones, the cheapest.
    const [length, cost] = options.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] < a[1]) ? b : a));
    bits += cost;
    i += length;
  }
  return bits;
}

export const PASSPHRASE_RULE =
  `at least ${MIN_PASSPHRASE_LENGTH} characters, and hard to guess: common passwords and words, runs of one character, ` +
  `alphabet or keyboard sequences, repeats and years count for little. Four or more unrelated words, or a long random ` +
  `string, pass easily`;

/** Throws PASSPHRASE_WEAK (exit 3) with the rule, unless `passphrase` may create a studio's keys. */
export function checkNewPassphrase(passphrase: string): void {
  const length = [...passphrase.normalize("NFC")].length;
  const bits = Math.floor(estimatePassphraseBits(passphrase));
  if (length >= MIN_PASSPHRASE_LENGTH && bits >= MIN_PASSPHRASE_BITS) return;
  const why =
    length < MIN_PASSPHRASE_LENGTH
      ? `it has ${length} characters`
      : `it would take about 2^${bits} guesses, and at least 2^${MIN_PASSPHRASE_BITS} are required`;
  throw new CliError(
    "PASSPHRASE_WEAK",
    `this passphrase creates the studio's keys and is too weak (${why}). Anyone who obtains the encrypted keys can try ` +
      `passphrases offline, so it must be ${PASSPHRASE_RULE}. Nothing was stored; enroll again with a stronger one`,
  );
}
