// Password hashes: Node's scrypt (no native addon to build), with its parameters stored in each
// hash so they can be raised later: a hash made with weaker ones verifies and is replaced at the
// next sign-in (needsRehash).
//   scrypt$<log2 N>$<r>$<p>$<salt, base64>$<key, base64>
// N = 2^15, r = 8, p = 1 (32 MiB, ~50-100 ms here): OWASP's scrypt floor is N = 2^17 at r = 8,
// p = 1 or an equivalent cost; 2^15 keeps a sign-in under 0.1 s on a 2-core API host, and the
// per-account and per-address limits (sign-in-limits.ts) bound online guessing anyway.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

export interface ScryptParams {
  log2N: number;
  r: number;
  p: number;
}

export const CURRENT: ScryptParams = { log2N: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, k: ScryptParams): Promise<Buffer> {
  const N = 2 ** k.log2N;
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) is exactly that at 2^15.
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, { N, r: k.r, p: k.p, maxmem: 256 * N * k.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string, params: ScryptParams = CURRENT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ["scrypt", params.log2N, params.r, params.p, salt.toString("base64"), key.toString("base64")].join("$");
}

function parse(hash: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  if (!m) return null;
  const params = { log2N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.log2N < 10 || params.log2N > 22 || params.r < 1 || params.p < 1) return null;
  return { params, salt: Buffer.from(m[4]!, "base64"), key: Buffer.from(m[5]!, "base64") };
}

/** A hash of a random password with the current parameters: what unknown accounts are checked against. */
let dummy: Promise<string> | undefined;

/**
 * True if `password` matches `hash`. With no hash (no such account, or no password yet) the same
 * work is done against a dummy, so the answer's timing does not tell whether the account exists.
 */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  const parsed = hash ? parse(hash) : null;
  if (!parsed) {
    dummy ??= hashPassword(randomBytes(16).toString("hex"));
    const d = parse(await dummy)!;
    await derive(password, d.salt, d.params);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

export function needsRehash(hash: string): boolean {
  const p = parse(hash)?.params;
  return !p || p.log2N < CURRENT.log2N || p.r < CURRENT.r || p.p < CURRENT.p;
}
