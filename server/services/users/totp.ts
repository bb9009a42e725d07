// TOTP (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1, 6 digits, 30-second steps: what every
// authenticator app reads from an otpauth:// URI), by hand on node:crypto because it is this short.
//
// Contract of verifyTotp: accepts a code of the step before, at or after `now` (RFC 6238 §5.2
// allows one step of clock drift each way) only if that step is later than `lastStep`, the step
// of the last code accepted for the account: a code is never accepted twice (§5.2: "the verifier
// MUST NOT accept the second attempt of the OTP after the successful validation"), nor an older
// one after a newer. Returns the step to store as the new lastStep, or null. Comparison is
// constant-time.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
const DRIFT_STEPS = 1;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function fromBase32(text: string): Buffer {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const i = BASE32.indexOf(c);
    if (i < 0) throw new Error("not base32");
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** A new shared secret: 20 random bytes (RFC 4226 §4 recommends 160 bits). */
export const newTotpSecret = (): Buffer => randomBytes(20);

/** RFC 4226 §5.3: HOTP(K, C) with dynamic truncation, `digits` decimal digits. */
export function hotp(secret: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const c = Buffer.alloc(8);
  c.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", secret).update(c).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(bin).padStart(digits, "0");
}

export const totpStep = (at: Date): number => Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS);

export function totp(secret: Buffer, at: Date, digits = TOTP_DIGITS): string {
  return hotp(secret, totpStep(at), digits);
}

export function verifyTotp(secret: Buffer, code: string, now: Date, lastStep: number | null): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const current = totpStep(now);
  let matched: number | null = null;
  // Every candidate is computed and compared, so the time taken says nothing about which matched.
  for (let step = current - DRIFT_STEPS; step <= current + DRIFT_STEPS; step++) {
    const same = timingSafeEqual(Buffer.from(hotp(secret, step)), Buffer.from(code));
    if (same && (lastStep === null || step > lastStep) && matched === null) matched = step;
  }
  return matched;
}

/** The otpauth:// URI an authenticator app reads (usually from a QR code). */
export function otpauthUri(secret: Buffer, account: string, issuer = "DataSafe"): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const q = new URLSearchParams({
    secret: base32(secret),
    issuer,
    algorithm: "SHA1",
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${q.toString()}`;
}

/**
 * Recovery codes: 10 random codes of 10 base32 characters (50 bits) shown once; stored as their
 * SHA-256 (high-entropy random values need no slow hash: there is nothing to guess from a list).
 */
export const RECOVERY_CODES = 10;
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES }, () => {
    const c = base32(randomBytes(7)).slice(0, 10);
    return `${c.slice(0, 5)}-${c.slice(5)}`;
  });
}
export const normalizeRecoveryCode = (code: string): string => code.toUpperCase().replace(/[^A-Z2-7]/g, "");
export const recoveryCodeHash = (code: string): Buffer => createHash("sha256").update(normalizeRecoveryCode(code)).digest();
