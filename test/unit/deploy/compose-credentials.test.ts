// docker-compose.yml ships no credential (issue 15, finding 6): MinIO's port is published, so a
// default there would be a default password on the internet. Checked on the text (no YAML parser
// among our dependencies; the file's syntax was checked with one when it changed). Docker itself
// cannot run on the development machines: this is not a test of the running stack.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";

const compose = await readFile(path.join(import.meta.dirname, "..", "..", "..", "docker-compose.yml"), "utf8");
const SECRETS = ["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "JWT_SECRET", "METRICS_TOKEN"];

/** The value of `key:` inside the block that starts at `anchor` (up to the next blank line). */
function valueIn(anchor: string, key: string): string {
  const start = compose.indexOf(anchor);
  assert.ok(start >= 0, `${anchor} not found`);
  const block = compose.slice(start, compose.indexOf("\n\n", start));
  const m = new RegExp(`^\\s+${key}: (.+)$`, "m").exec(block);
  assert.ok(m, `${key} not found under ${anchor}`);
  return m[1]!;
}

describe("docker-compose.yml credentials", () => {
  it("takes every secret from the environment, with no default", () => {
    for (const name of SECRETS) {
      const uses = [...compose.matchAll(new RegExp(`\\$\\{${name}(:?[-?])?[^}]*\\}`, "g"))].map((m) => m[0]);
      assert.ok(uses.length > 0, `${name} is not used`);
      for (const use of uses) assert.ok(use.startsWith(`\${${name}:?`), `${use}: must be required (\${${name}:?message}), not defaulted`);
    }
  });

  it("gives the api and worker their own S3 key, not MinIO's root one, limited to the bucket", () => {
    assert.equal(valueIn("x-datasafe-env:", "S3_ACCESS_KEY_ID").startsWith("${S3_ACCESS_KEY_ID:?"), true);
    assert.equal(valueIn("x-datasafe-env:", "S3_SECRET_ACCESS_KEY").startsWith("${S3_SECRET_ACCESS_KEY:?"), true);
    assert.doesNotMatch(compose.slice(compose.indexOf("x-datasafe-env:"), compose.indexOf("services:")), /MINIO_ROOT/);
    // The setup service creates that user with a policy naming the datasafe bucket only.
    const resources = [...compose.matchAll(/"arn:aws:s3:::([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(resources)].sort(), ["datasafe", "datasafe/*"]);
    assert.match(compose, /mc admin user add local "\$\$S3_ACCESS_KEY_ID" "\$\$S3_SECRET_ACCESS_KEY"/);
    assert.match(compose, /mc admin policy attach local datasafe-api --user "\$\$S3_ACCESS_KEY_ID"/);
  });
});
