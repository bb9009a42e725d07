// Self-update against a real server's /downloads: the release files are published into its
// RELEASES_DIR as an operator would (signed with scripts/release.ts's functions), and the
// "executables" are small shell scripts that answer `--json version` as the real one does (the
// real single executable is exercised by test/e2e/single-executable.test.ts). Every refusal
// leaves the running file untouched.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { newReleaseKey, signRelease, type ReleaseManifest } from "../../uploader/update/release.ts";
import { updateOnce, type UpdateOptions } from "../../uploader/update/self-update.ts";
import { startServer, type TestServer } from "../support/server.ts";

const exeFor = (version: string) => `#!/bin/sh\necho '{"version":"${version}"}'\n`;
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

describe("self-update from the server's /downloads", { timeout: 120_000 }, () => {
  let server: TestServer;
  let releases: string;
  let pc: string;
  const key = newReleaseKey();

  before(async () => {
    const dir = await mkdtemp("/tmp/datasafe-update-");
    releases = path.join(dir, "releases");
    await mkdir(releases);
    server = await startServer({ s3: false, env: { RELEASES_DIR: releases } });
  });
  after(async () => server?.stop());
  beforeEach(async () => {
    pc = await mkdtemp(path.join(server.dir, "pc-"));
    await writeFile(path.join(pc, "datasafe"), exeFor("0.1.0"), { mode: 0o755 });
  });

  /** Publishes `version` with `body` as its Linux executable; `lie` edits the manifest before signing. */
  async function publish(
    version: string,
    body = exeFor(version),
    o: { lie?: Partial<ReleaseManifest>; signer?: string; expiresInMs?: number } = {},
  ) {
    await writeFile(path.join(releases, "datasafe-linux-x64"), body);
    const manifest: ReleaseManifest = {
      version,
      node: "24.21.0",
      bundleSha256: sha("bundle"),
      workerSha256: sha("worker"),
      files: [{ name: "datasafe-linux-x64", target: "linux-x64", size: Buffer.byteLength(body), sha256: sha(body) }],
      signedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + (o.expiresInMs ?? 86_400_000)).toISOString(),
      ...o.lie,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    await writeFile(path.join(releases, "release.json"), bytes);
    await writeFile(path.join(releases, "release.sig"), JSON.stringify(signRelease(bytes, o.signer ?? key.privatePem)));
  }

  const options = (): UpdateOptions => ({
    server: server.url,
    exePath: path.join(pc, "datasafe"),
    target: "linux-x64",
    current: "0.1.0",
    trustedKeys: [key.publicKey],
    home: pc,
    now: new Date(),
  });
  const running = async () => readFile(path.join(pc, "datasafe"), "utf8");

  it("a newer signed release replaces the executable; the old one is kept beside it", async () => {
    await publish("0.2.0");
    assert.deepEqual(await updateOnce(options()), { result: "updated", from: "0.1.0", to: "0.2.0" });
    assert.equal(await running(), exeFor("0.2.0"));
    assert.equal(await readFile(path.join(pc, "datasafe.previous"), "utf8"), exeFor("0.1.0"));
    // The page owners download from lists it.
    const page = await (await fetch(`${server.url}/downloads`)).text();
    assert.match(page, /Version 0\.2\.0/);
    assert.match(page, new RegExp(sha(exeFor("0.2.0"))));
  });

  it("the same version is current; nothing is downloaded", async () => {
    await publish("0.1.0");
    assert.deepEqual(await updateOnce(options()), { result: "current", version: "0.1.0" });
  });

  it("a bad signature, a wrong hash, an expired manifest or an executable that does not start change nothing", async () => {
    const cases: Array<[string, () => Promise<void>, RegExp]> = [
      ["signed by another key", () => publish("0.3.0", undefined, { signer: newReleaseKey().privatePem }), /unknown key/],
      [
        "wrong hash",
        () =>
          publish("0.3.0", undefined, {
            lie: { files: [{ name: "datasafe-linux-x64", target: "linux-x64", size: 40, sha256: sha("x") }] },
          }),
        /SHA-256|larger/,
      ],
      ["expired", () => publish("0.3.0", undefined, { expiresInMs: -1000 }), /expired/],
      ["does not start", () => publish("0.3.0", "#!/bin/sh\nexit 3\n"), /did not start/],
      ["starts as another version", () => publish("0.3.0", exeFor("0.2.9")), /did not start as 0\.3\.0/],
    ];
    for (const [what, setUp, reason] of cases) {
      await setUp();
      const r = await updateOnce(options());
      assert.equal(r.result, "refused", what);
      assert.match(r.result === "refused" ? r.reason : "", reason, what);
      assert.equal(await running(), exeFor("0.1.0"), `${what}: the running executable is unchanged`);
    }
  });

  it("no downgrade: after 0.2.0 was accepted, a validly signed 0.1.5 is refused", async () => {
    await publish("0.2.0");
    assert.equal((await updateOnce(options())).result, "updated");
    await publish("0.1.5");
    const r = await updateOnce({ ...options(), current: "0.1.0" }); // even if an older file was put back
    assert.deepEqual(r, { result: "refused", reason: "release 0.1.5 is older than 0.2.0" });
  });

  it("only the files the manifest lists are served", async () => {
    await publish("0.2.0");
    await writeFile(path.join(releases, "secret.pem"), "not for download");
    assert.equal((await fetch(`${server.url}/downloads/secret.pem`)).status, 404);
    // A path is not a file name: refused before any file is looked at.
    assert.equal((await fetch(`${server.url}/downloads/..%2Frelease.json`)).status, 400);
    assert.equal((await fetch(`${server.url}/downloads/datasafe-linux-x64`)).status, 200);
  });
});
