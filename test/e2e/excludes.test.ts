// Exclude patterns end to end: the real CLI backs up a photo folder holding a Lightroom preview
// cache, a Capture One cache, Thumbs.db and .xmp.bak files with `--exclude "*.xmp.bak"`; a second
// PC restores exactly the files a studio needs, and the backup reports what it left out.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { enrolledPcs, type Pc, run } from "../support/cli.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { describeTree } from "../support/tree.ts";

describe("backup exclude patterns", { timeout: 120_000 }, () => {
  let server: TestServer;
  let pc1: Pc;
  let pc2: Pc;
  let src: string;

  before(async () => {
    server = await startServer({ s3: false });
    [pc1, pc2] = (await enrolledPcs(server, 2)).pcs as [Pc, Pc];
    src = path.join(server.dir, "Fotos Studio");
    const files: Record<string, string> = {
      "Lightroom/Studio.lrcat": "catalog",
      "Lightroom/Studio Previews.lrdata/0/A/a.lrprev": "preview a",
      "Lightroom/Studio Previews.lrdata/root-pixels.db": "pixels",
      "Lightroom/Studio Smart Previews.lrdata/0/s.dng": "smart preview",
      "2024 Hochzeit/IMG_0001.CR3": "raw 1",
      "2024 Hochzeit/IMG_0001.xmp": "sidecar",
      "2024 Hochzeit/IMG_0001.xmp.bak": "old sidecar",
      "2024 Hochzeit/Thumbs.db": "thumbs",
      "2024 Hochzeit/CaptureOne/Cache/Thumbnails/IMG_0001.CR3.cot": "c1 thumb",
      "2024 Hochzeit/CaptureOne/Settings153/IMG_0001.CR3.cos": "c1 adjustments",
    };
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(src, rel)), { recursive: true });
      await writeFile(path.join(src, rel), text);
    }
  });
  after(async () => server?.stop());

  it("restores exactly the files a studio needs and counts what was left out", async () => {
    const b = await pc1.run(["backup", src, "--exclude", "*.xmp.bak"], { DATASAFE_PASSPHRASE: "" });
    assert.equal(b.code, 0, b.stderr);
    // Left out: the previews folder, the Capture One cache folder, Thumbs.db, the .xmp.bak.
    assert.equal(b.json.excluded, 4);
    assert.equal(b.json.files, 5);

    const to = path.join(server.dir, "restored");
    const r = await pc2.run(["restore", "latest", "--to", to]);
    assert.equal(r.code, 0, r.stderr);
    const files = [...(await describeTree(path.join(to, "Fotos Studio")))]
      .filter(([, e]) => e.type === "file")
      .map(([p]) => p)
      .sort();
    assert.deepEqual(files, [
      "2024 Hochzeit/CaptureOne/Settings153/IMG_0001.CR3.cos",
      "2024 Hochzeit/IMG_0001.CR3",
      "2024 Hochzeit/IMG_0001.xmp",
      "Lightroom/Studio Smart Previews.lrdata/0/s.dng",
      "Lightroom/Studio.lrcat",
    ]);
  });

  it("backs up the caches too with --no-default-excludes, and says what it left out on the human line", async () => {
    const b = await run(
      "datasafe.js",
      ["backup", src, "--exclude", "*.xmp.bak", "--no-default-excludes"],
      pc1.env({ DATASAFE_PASSPHRASE: "" }),
    );
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /^restore point \S+: 9 files \(5 unchanged\), 1 excluded, /);
  });

  it("refuses an invalid pattern before backing anything up", async () => {
    const b = await pc1.run(["backup", src, "--exclude", ""]);
    assert.equal(b.code, 2, b.stderr);
    assert.match(String((b.json.error as { message: string }).message), /--exclude: exclude pattern "" is empty/);
  });
});
