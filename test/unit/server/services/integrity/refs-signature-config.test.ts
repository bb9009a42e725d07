// Pure parts of server-side integrity: searching a restore point's packed sorted references, the
// bounded damaged-id list, Ed25519 report signatures checked with node:crypto from the raw
// public key of the keyset, and the integrity configuration.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../../../../server/config.ts";
import { containsRef, packIds, refsAmong, unpackIds } from "../../../../../server/services/integrity/refs.ts";
import { studioSignPublicKey, verifyEd25519 } from "../../../../../server/services/integrity/signature.ts";

const sorted = (n: number) => Array.from({ length: n }, () => randomBytes(32)).sort(Buffer.compare);

describe("restore point references", () => {
  it("finds exactly the ids a packed sorted list holds, at every position", () => {
    for (const n of [0, 1, 2, 3, 7, 64, 1000]) {
      const ids = sorted(n);
      const refs = Buffer.concat(ids);
      for (const id of ids) assert.ok(containsRef(refs, id));
      for (let i = 0; i < 50; i++) assert.equal(containsRef(refs, randomBytes(32)), false);
      // An id made of the tail of one entry and the head of the next is not a match (alignment).
      if (n >= 2) assert.equal(containsRef(refs, refs.subarray(16, 48)), false);
    }
  });

  it("returns the listed subset and packs a bounded sorted damaged list", () => {
    const ids = sorted(10);
    const refs = Buffer.concat(ids.slice(0, 5));
    const probe = [ids[7]!, ids[1]!, ids[4]!];
    assert.deepEqual(refsAmong(refs, probe), [ids[1], ids[4]]);
    const packed = packIds([ids[3]!, ids[0]!, ids[9]!], 2);
    assert.deepEqual(unpackIds(packed), [ids[0]!.toString("hex"), ids[3]!.toString("hex")]);
    assert.deepEqual(unpackIds(null), []);
  });
});

describe("studio-signed reports", () => {
  it("verifies Ed25519 over the raw 32-byte public key of the keyset and nothing else", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const key = studioSignPublicKey({ signPublicKey: raw.toString("base64"), boxPublicKey: "x" });
    assert.ok(key?.equals(raw));
    const msg = Buffer.from("datasafe/v1/verify-report\n{}");
    const sig = sign(null, msg, privateKey);
    assert.equal(verifyEd25519(key!, msg, sig), true);
    assert.equal(verifyEd25519(key!, Buffer.from("datasafe/v1/verify-report\n{ }"), sig), false);
    const other = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    assert.equal(verifyEd25519(other, msg, sig), false);
    assert.equal(verifyEd25519(key!, msg, Buffer.alloc(64)), false);
    assert.equal(studioSignPublicKey(null), null);
    assert.equal(studioSignPublicKey({ signPublicKey: Buffer.alloc(31).toString("base64") }), null);
  });
});

describe("integrity configuration", () => {
  it("defaults to a 30-day scrub period, hourly runs, a 60 s sweeper and a datasafe prefix", () => {
    const c = loadConfig({ DATA_DIR: "/tmp/cfg-integrity", JWT_SECRET: "x".repeat(32) }, { dotenv: false });
    assert.deepEqual(c.integrity, {
      scrubPeriodMs: 30 * 86_400_000,
      scrubIntervalMs: 3_600_000,
      sweepIntervalMs: 60_000,
      workerConcurrency: 2,
      jobLockMs: 30_000,
    });
    assert.equal(c.redisPrefix, "datasafe");
    assert.equal(c.metricsToken, null);
  });

  it("rejects a scrub interval longer than half the period, a bad prefix and a short metrics token", () => {
    try {
      loadConfig(
        { JWT_SECRET: "x".repeat(32), SCRUB_PERIOD_DAYS: "1", SCRUB_INTERVAL_MINUTES: "900", REDIS_PREFIX: "a:b", METRICS_TOKEN: "short" },
        { dotenv: false },
      );
      assert.fail("expected a ConfigError");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /REDIS_PREFIX/);
      assert.match(err.message, /METRICS_TOKEN/);
    }
    assert.throws(
      () => loadConfig({ JWT_SECRET: "x".repeat(32), SCRUB_PERIOD_DAYS: "1", SCRUB_INTERVAL_MINUTES: "900" }, { dotenv: false }),
      /SCRUB_INTERVAL_MINUTES/,
    );
  });
});
