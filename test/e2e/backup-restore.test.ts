// End to end with the real CLI processes against a real server (Postgres, Redis, blob store):
// backup, list, restore onto a second PC with the passphrase, byte-for-byte.
import assert from "node:assert/strict";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { newStudio, Pc } from "../support/cli.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { describeTree, makeStudioTree } from "../support/tree.ts";
import { s3SkipReason } from "../support/s3.ts";

const stores = [
  { name: "local directory", s3: false },
  { name: "S3 (Ceph RGW)", s3: true },
];

for (const store of stores) {
  const skip = store.s3 ? s3SkipReason() : false;
  describe(`backup and restore against ${store.name}`, { skip }, () => {
    let server: TestServer;
    let pc1: Pc;
    let pc2: Pc;
    let src: string;
    let firstId: string;

    before(async () => {
      server = await startServer({ s3: store.s3 });
      const studio = await newStudio(server);
      pc1 = await Pc.create(server);
      pc2 = await Pc.create(server);
      src = path.join(server.dir, "studio-pc");
      await makeStudioTree(src);
      const e1 = await pc1.run(["enroll", "--token", await studio.token(), "--name", "front-desk"]);
      assert.equal(e1.code, 0, e1.stderr);
      assert.equal(e1.json.firstDevice, true);
      assert.match(String(e1.json.recoveryKey), /^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/);
      const e2 = await pc2.run(["enroll", "--token", await studio.token(), "--name", "new-pc"]);
      assert.equal(e2.code, 0, e2.stderr);
      assert.equal(e2.json.firstDevice, false);
      assert.equal(e2.json.recoveryKey, null);
      assert.equal(e2.json.studioId, e1.json.studioId);
    });
    after(async () => server?.stop());

    it("backs up without the passphrase and restores bit-for-bit on another PC", async () => {
      const b = await pc1.run(["backup", path.join(src, "Photos"), path.join(src, "Database"), "--label", "nightly"], {
        DATASAFE_PASSPHRASE: "",
      });
      assert.equal(b.code, 0, b.stderr);
      firstId = String(b.json.restorePointId);
      assert.equal(b.json.files, 7);
      assert.ok(Number(b.json.bytesUploaded) > 0);
      assert.equal(b.json.chunksUploaded, b.json.chunksTotal);
      // On S3 the bytes go straight to the bucket (presigned PUT); a local store takes them via the API.
      assert.equal(b.json.chunksSentDirect, store.s3 ? b.json.chunksUploaded : 0);

      const list = await pc2.run(["list"]);
      assert.equal(list.code, 0, list.stderr);
      const points = list.json.restorePoints as Array<Record<string, unknown>>;
      assert.deepEqual(
        points.map((p) => [p.id, p.label, p.deviceName, p.files]),
        [[firstId, "nightly", "front-desk", 7]],
      );

      const to = path.join(server.dir, "restored");
      const r = await pc2.run(["restore", "latest", "--to", to]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json.restorePointId, firstId);
      assert.equal(r.json.files, 7);
      assert.ok(
        store.s3 ? Number(r.json.chunksDirect) > 0 && r.json.chunksRelayed === 0 : r.json.chunksDirect === 0,
        JSON.stringify(r.json),
      );
      for (const entry of ["Photos", "Database"]) {
        assert.deepEqual(await describeTree(path.join(to, entry)), await describeTree(path.join(src, entry)), entry);
      }
    });

    it("sends almost nothing for an unchanged tree and a small fraction after a small edit", async () => {
      const again = await pc1.run(["backup", path.join(src, "Photos"), path.join(src, "Database")]);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(Number(again.json.bytesUploaded) < 4096, `unchanged re-run uploaded ${again.json.bytesUploaded} bytes`);

      const db = path.join(src, "Database", "studio.bak");
      const size = (await readFile(db)).length;
      await appendFile(db, "INSERT INTO clients VALUES (999999, 'new client');\n");
      const edited = await pc1.run(["backup", path.join(src, "Photos"), path.join(src, "Database")]);
      assert.equal(edited.code, 0, edited.stderr);
      assert.ok(Number(edited.json.bytesUploaded) < size / 2, `edit uploaded ${edited.json.bytesUploaded} of ${size}`);
      assert.ok(Number(edited.json.chunksUploaded) < Number(edited.json.chunksTotal));
    });

    it("restores selected paths, refuses to clobber, and resumes an interrupted restore", async () => {
      const to = path.join(server.dir, "partial");
      const r = await pc2.run(["restore", firstId, "--to", to, "--path", "Photos/2024"]);
      assert.equal(r.code, 0, r.stderr);
      const restored = await describeTree(path.join(to, "Photos"));
      assert.ok(restored.has("2024/IMG_1000.jpg") && restored.has("2024/empty-shoot"));
      assert.ok(!restored.has("latest-db"));

      await writeFile(path.join(to, "Photos", "2024", "IMG_1001.jpg"), "local edit");
      const refused = await pc2.run(["restore", firstId, "--to", to, "--path", "Photos/2024"]);
      assert.equal(refused.code, 1);
      assert.equal((refused.json.error as { code: string }).code, "TARGET_EXISTS");
      const forced = await pc2.run(["restore", firstId, "--to", to, "--path", "Photos/2024", "--overwrite"]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.deepEqual(await describeTree(path.join(to, "Photos", "2024")), await describeTree(path.join(src, "Photos", "2024")));
      // A second run finds everything already in place (what an interrupted restore relies on).
      const rerun = await pc2.run(["restore", firstId, "--to", to, "--path", "Photos/2024"]);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal(rerun.json.files, 0);

      const missing = await pc2.run(["restore", firstId, "--to", to, "--path", "Nope"]);
      assert.equal(missing.code, 4);
    });

    it("refuses a wrong passphrase and a missing one for restore", async () => {
      const wrong = await pc2.run(["restore", "latest", "--to", path.join(server.dir, "x")], { DATASAFE_PASSPHRASE: "not the passphrase" });
      assert.equal(wrong.code, 3);
      assert.equal((wrong.json.error as { code: string }).code, "BAD_PASSPHRASE");
      const none = await pc2.run(["restore", "latest", "--to", path.join(server.dir, "x")], { DATASAFE_PASSPHRASE: "" });
      assert.equal(none.code, 3);
      await mkdir(path.join(server.dir, "x"), { recursive: true });
    });
  });
}
