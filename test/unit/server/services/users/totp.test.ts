// TOTP by hand (server/services/users/totp.ts) against RFC 6238 Appendix B's SHA-1 vectors, and
// the verifier's rules: one step of drift each way, never the same or an older step twice.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  base32,
  fromBase32,
  hotp,
  newRecoveryCodes,
  recoveryCodeHash,
  totp,
  TOTP_STEP_SECONDS,
  verifyTotp,
} from "../../../../../server/services/users/totp.ts";

const RFC_SECRET = Buffer.from("12345678901234567890");

describe("TOTP (RFC 6238)", () => {
  it("matches the RFC's SHA-1 test vectors (8 digits)", () => {
    const vectors: Array<[number, string]> = [
      [59, "94287082"],
      [1111111109, "07081804"],
      [1111111111, "14050471"],
      [1234567890, "89005924"],
      [2000000000, "69279037"],
      [20000000000, "65353130"],
    ];
    for (const [t, code] of vectors) assert.equal(totp(RFC_SECRET, new Date(t * 1000), 8), code, `T=${t}`);
  });

  it("matches RFC 4226's HOTP vectors (6 digits)", () => {
    const want = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
    want.forEach((code, i) => assert.equal(hotp(RFC_SECRET, i), code));
  });

  it("base32 round-trips (RFC 4648 vectors)", () => {
    assert.equal(base32(Buffer.from("foobar")), "MZXW6YTBOI");
    assert.deepEqual(fromBase32("MZXW6YTBOI======"), Buffer.from("foobar"));
    assert.deepEqual(fromBase32(base32(RFC_SECRET)), RFC_SECRET);
  });

  it("accepts one step of drift, refuses wrong, replayed and older codes", () => {
    const now = new Date(1_800_000_000_000);
    const step = Math.floor(now.getTime() / 1000 / TOTP_STEP_SECONDS);
    const at = (s: number) => new Date(s * TOTP_STEP_SECONDS * 1000);
    assert.equal(verifyTotp(RFC_SECRET, totp(RFC_SECRET, now), now, null), step);
    assert.equal(verifyTotp(RFC_SECRET, totp(RFC_SECRET, at(step - 1)), now, null), step - 1);
    assert.equal(verifyTotp(RFC_SECRET, totp(RFC_SECRET, at(step + 1)), now, null), step + 1);
    assert.equal(verifyTotp(RFC_SECRET, totp(RFC_SECRET, at(step - 2)), now, null), null, "two steps old");
    const wrong = String((Number(totp(RFC_SECRET, now)) + 1) % 1_000_000).padStart(6, "0");
    assert.equal(verifyTotp(RFC_SECRET, wrong, now, null), null);
    assert.equal(verifyTotp(RFC_SECRET, totp(RFC_SECRET, now), now, step), null, "the same code again");
    assert.equal(verifyTotp(RFC_SECRET, totp(RFC_SECRET, at(step - 1)), now, step), null, "an older code after a newer one");
    assert.equal(verifyTotp(RFC_SECRET, "12345", now, null), null);
    assert.equal(verifyTotp(RFC_SECRET, "abcdef", now, null), null);
  });

  it("recovery codes are distinct and hashed without their formatting", () => {
    const codes = newRecoveryCodes();
    assert.equal(new Set(codes).size, codes.length);
    for (const c of codes) assert.match(c, /^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    assert.deepEqual(recoveryCodeHash(codes[0]!.toLowerCase().replace("-", " ")), recoveryCodeHash(codes[0]!));
  });
});
