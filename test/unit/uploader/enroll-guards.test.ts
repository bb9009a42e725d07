// The uploader's guards at enrollment: the first passphrase's strength (passphrase-strength.ts)
// and the server URL (server-url.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CliError } from "../../../uploader/errors.ts";
import { checkNewPassphrase, estimatePassphraseBits, MIN_PASSPHRASE_BITS } from "../../../uploader/passphrase-strength.ts";
import { checkServerUrl } from "../../../uploader/server-url.ts";

const code = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof CliError ? err.code : String(err);
  }
};

describe("first passphrase strength", () => {
  it("refuses short, common, repetitive and sequential passphrases, and explains the rule", () => {
    for (const weak of [
      "short",
      "password1234",
      "Password2024!",
      "aaaaaaaaaaaaaaaa",
      "abcdefghijklmnop",
      "qwertyuiopasdfgh",
      "123456789012",
      "passwordpassword",
      "datasafebackup1",
    ]) {
      assert.equal(
        code(() => checkNewPassphrase(weak)),
        "PASSPHRASE_WEAK",
        weak,
      );
    }
    try {
      checkNewPassphrase("password1234");
    } catch (err) {
      assert.match((err as Error).message, /at least 12 characters/);
      assert.match((err as Error).message, /offline/);
    }
  });

  it("accepts long phrases of unrelated words and random strings", () => {
    for (const strong of ["correct horse battery staple", "Sunflower-Meadow-42", "xkcdqpwmzrtvbn", "another studio's passphrase"]) {
      assert.equal(
        code(() => checkNewPassphrase(strong)),
        null,
        strong,
      );
      assert.ok(estimatePassphraseBits(strong) >= MIN_PASSPHRASE_BITS);
    }
  });
});

describe("server URL", () => {
  it("allows https anywhere and http only to this machine", () => {
    for (const ok of [
      "https://backup.example.com",
      "http://127.0.0.1:8080",
      "http://localhost:8080/",
      "http://[::1]:8080",
      "http://127.0.0.2",
    ]) {
      assert.equal(
        code(() => checkServerUrl(ok)),
        null,
        ok,
      );
    }
    assert.equal(
      code(() => checkServerUrl("http://example.com")),
      "SERVER_URL_INSECURE",
    );
    assert.equal(
      code(() => checkServerUrl("http://192.168.1.10:8080")),
      "SERVER_URL_INSECURE",
    );
    assert.equal(
      code(() => checkServerUrl("http://localhost.example.com")),
      "SERVER_URL_INSECURE",
    );
    assert.equal(
      code(() => checkServerUrl("ftp://example.com")),
      "SERVER_URL_INVALID",
    );
    assert.equal(
      code(() => checkServerUrl("not a url")),
      "SERVER_URL_INVALID",
    );
  });
});
