import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../../server/config.ts";

describe("server configuration", () => {
  it("has working defaults and generates a JWT secret once outside production", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "cfg-"));
    const c1 = loadConfig({ DATA_DIR: dataDir }, { dotenv: false });
    assert.equal(c1.port, 8080);
    assert.match(c1.databaseUrl, /^postgresql:\/\/[^@]+@localhost:5432\/datasafe$/);
    assert.equal(c1.redisUrl, "redis://127.0.0.1:6379");
    assert.equal(c1.blobDir, path.join(dataDir, "blobs"));
    assert.equal(c1.s3, null);
    const c2 = loadConfig({ DATA_DIR: dataDir }, { dotenv: false });
    assert.equal(c1.jwtSecret, c2.jwtSecret);
    assert.equal((await readFile(path.join(dataDir, "jwt-secret"), "utf8")).trim(), c1.jwtSecret);
    assert.equal((await stat(path.join(dataDir, "jwt-secret"))).mode & 0o777, 0o600);
  });

  it("lists every problem in one error", () => {
    try {
      loadConfig(
        { PORT: "http", DATABASE_URL: "mysql://x", S3_ENDPOINT: "http://127.0.0.1:9000", NODE_ENV: "production" },
        { dotenv: false },
      );
      assert.fail("expected a ConfigError");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.message;
      assert.match(text, /PORT/);
      assert.match(text, /DATABASE_URL/);
    }
    try {
      loadConfig({ S3_ENDPOINT: "http://127.0.0.1:9000", NODE_ENV: "production" }, { dotenv: false });
      assert.fail("expected a ConfigError");
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        "S3_BUCKET: required when S3 is configured",
        "S3_ACCESS_KEY_ID: required when S3 is configured",
        "S3_SECRET_ACCESS_KEY: required when S3 is configured",
        "JWT_SECRET: required when NODE_ENV=production",
        "METRICS_TOKEN: required when NODE_ENV=production (GET /metrics would be open to anyone)",
      ]);
    }
  });

  it("refuses to start in production without a METRICS_TOKEN (an open /metrics)", () => {
    const base = { NODE_ENV: "production", JWT_SECRET: "j".repeat(40) };
    assert.throws(
      () => loadConfig(base, { dotenv: false }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems, ["METRICS_TOKEN: required when NODE_ENV=production (GET /metrics would be open to anyone)"]);
        return true;
      },
    );
    assert.equal(loadConfig({ ...base, METRICS_TOKEN: "m".repeat(16) }, { dotenv: false }).metricsToken, "m".repeat(16));
    // Outside production it stays optional (a developer's machine).
    assert.equal(loadConfig({ DATA_DIR: os.tmpdir(), JWT_SECRET: "j".repeat(40) }, { dotenv: false }).metricsToken, null);
  });

  it("refuses a generated JWT secret file shorter than 32 bytes", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "cfg-"));
    await mkdir(dataDir, { recursive: true });
    await writeFile(path.join(dataDir, "jwt-secret"), "too-short-secret\n");
    assert.throws(
      () => loadConfig({ DATA_DIR: dataDir }, { dotenv: false }),
      (err: unknown) => err instanceof ConfigError && /jwt-secret holds fewer than 32 bytes/.test(err.message),
    );
    await writeFile(path.join(dataDir, "jwt-secret"), "x".repeat(32));
    assert.equal(loadConfig({ DATA_DIR: dataDir }, { dotenv: false }).jwtSecret, "x".repeat(32));
  });

  it("TRUST_PROXY: a hop count or proxy addresses, never a blanket true", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "cfg-"));
    const load = (v: string | undefined) => loadConfig({ DATA_DIR: dataDir, TRUST_PROXY: v }, { dotenv: false }).trustProxy;
    assert.equal(load(undefined), false);
    assert.equal(load("1"), 1);
    assert.deepEqual(load("loopback, 10.0.0.0/8,2001:db8::1"), ["loopback", "10.0.0.0/8", "2001:db8::1"]);
    assert.throws(() => load("true"), /TRUST_PROXY/);
    assert.throws(() => load("10.0.0.0/33"), /TRUST_PROXY/);
  });
});
