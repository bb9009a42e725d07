// The browser's scrypt (web-scrypt.ts, a stopgap until @noble/hashes is a dependency) against
// RFC 7914's vectors and node:crypto's scrypt on random inputs and shapes.
import assert from "node:assert/strict";
import { randomBytes, scryptSync } from "node:crypto";
import { describe, it } from "node:test";
import { webScrypt } from "../../../../uploader/format/web-scrypt.ts";

const subtle = globalThis.crypto.subtle;

describe("web scrypt", () => {
  it("RFC 7914 §12 vectors", async () => {
    const v2 = await webScrypt(subtle, Buffer.from("password"), Buffer.from("NaCl"), { N: 1024, r: 8, p: 16 }, 64);
    assert.equal(
      Buffer.from(v2).toString("hex"),
      "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
    );
    const v3 = await webScrypt(subtle, Buffer.from("pleaseletmein"), Buffer.from("SodiumChloride"), { N: 16384, r: 8, p: 1 }, 64);
    assert.equal(
      Buffer.from(v3).toString("hex"),
      "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887",
    );
  });

  it("equals node:crypto's scrypt", async () => {
    for (const [N, r, p] of [
      [2, 1, 1],
      [16, 3, 2],
      [1024, 8, 1],
      [256, 32, 3],
    ] as const) {
      const password = randomBytes(1 + (N % 13));
      const salt = randomBytes(16);
      const ours = await webScrypt(subtle, password, salt, { N, r, p }, 32);
      assert.equal(
        Buffer.from(ours).toString("hex"),
        scryptSync(password, salt, 32, { N, r, p, maxmem: 2 ** 28 }).toString("hex"),
        `N=${N} r=${r} p=${p}`,
      );
    }
  });
});
