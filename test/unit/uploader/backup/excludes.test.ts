// Exclude patterns: gitignore semantics relative to each source, the conservative defaults
// (caches and OS files out; catalogs, Smart Previews, settings and sidecars in), and the scanner
// not descending into an excluded folder.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { checkPatterns, DEFAULT_EXCLUDES, Excluder, MAX_PATTERNS } from "../../../../uploader/backup/excludes.ts";
import { scan } from "../../../../uploader/scanner.ts";

const out = (ex: Excluder, cases: Array<[string, boolean]>) => cases.filter(([p, dir]) => ex.excludes(p, dir)).map(([p]) => p);

describe("exclude patterns", () => {
  it("leaves out caches and OS files by default, never a catalog, its data, Smart Previews or settings", () => {
    const ex = new Excluder({ defaults: true, patterns: [] });
    const excluded: Array<[string, boolean]> = [
      ["Lightroom/Studio Catalog Previews.lrdata", true],
      ["2024/Wedding/CaptureOne/Cache", true],
      ["CaptureOne/Cache", true],
      ["Catalogs/Studio.cocatalog/Cache", true],
      ["Shoot/Thumbs.db", false],
      ["Shoot/ehthumbs.db", false],
      ["desktop.ini", false],
      ["Shoot/.DS_Store", false],
      ["$RECYCLE.BIN", true],
      ["System Volume Information", true],
      [".Trash-1000", true],
      [".Trashes", true],
      ["Contracts/~$ntract.docx", false],
      ["Contracts/.~lock.Invoice.odt#", false],
    ];
    const kept: Array<[string, boolean]> = [
      ["Lightroom/Studio Catalog.lrcat", false],
      ["Lightroom/Studio Catalog.lrcat-data", true],
      ["Lightroom/Studio Catalog.lrcat-wal", false],
      ["Lightroom/Studio Catalog Helper.lrdata", true],
      ["Lightroom/Studio Catalog Smart Previews.lrdata", true],
      ["2024/Wedding/CaptureOne/Settings153", true],
      ["2024/Wedding/CaptureOne/Settings153/IMG_1.CR3.cos", false],
      ["2024/Wedding/Capture/IMG_1.CR3", false],
      ["2024/Wedding/Capture/IMG_1.xmp", false],
      ["Shoot/Cache", true],
      ["Shoot/photo.tmp", false],
      ["Shoot/._IMG_1.CR3", false],
      // A file named like a cache folder: `dir/` patterns match folders only.
      ["Notes/Old Previews.lrdata", false],
      // Case-sensitive, as in git.
      ["Shoot/thumbs.DB", false],
    ];
    assert.deepEqual(
      out(ex, excluded),
      excluded.map(([p]) => p),
    );
    assert.deepEqual(out(ex, kept), []);
    assert.deepEqual(out(new Excluder({ defaults: false, patterns: [] }), excluded), [], "--no-default-excludes");
  });

  it("anchors patterns with a slash to the source root, re-includes with !, and matches ** across folders", () => {
    const ex = new Excluder({ defaults: true, patterns: ["/Exports/", "Jobs/tmp", "*.xmp.bak", "!Thumbs.db", "raw/**/*.log"] });
    const cases: Array<[string, boolean]> = [
      ["Exports", true],
      ["A/Exports", true],
      ["Jobs/tmp", true],
      ["A/Jobs/tmp", true],
      ["x.xmp.bak", false],
      ["A/B/x.xmp.bak", false],
      ["A/Thumbs.db", false],
      ["raw/a/b/c.log", false],
      ["raw/c.log", false],
      ["a/raw/c.log", false],
      ["A/.DS_Store", false],
    ];
    assert.deepEqual(out(ex, cases), ["Exports", "Jobs/tmp", "x.xmp.bak", "A/B/x.xmp.bak", "raw/a/b/c.log", "raw/c.log", "A/.DS_Store"]);
    // A name that is not UTF-8 matches through its display form.
    assert.equal(ex.excludes("A/caf\ufffd.xmp.bak", false), true);
    // Many checks (the matcher is renewed to bound its memo) give the same answers.
    for (let i = 0; i < 25_000; i++) assert.equal(ex.excludes(`d${i}/x.xmp.bak`, false), true);
  });

  it("refuses empty, overlong, comment-like and too many patterns with a clear message", () => {
    assert.throws(() => checkPatterns([""], "--exclude"), /--exclude: exclude pattern "" is empty/);
    assert.throws(() => checkPatterns(["a".repeat(501)], "--exclude"), /longer than 500/);
    assert.throws(() => checkPatterns(["a\nb"], "--exclude"), /control character/);
    assert.throws(() => checkPatterns(["#x"], "--exclude"), /starts with #/);
    assert.throws(
      () =>
        checkPatterns(
          Array.from({ length: MAX_PATTERNS + 1 }, (_, i) => `p${i}`),
          "x",
        ),
      /at most 200/,
    );
    assert.doesNotThrow(() => checkPatterns([...DEFAULT_EXCLUDES], "defaults"));
  });
});

describe("scanner with exclude patterns", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "scan-exclude-"));
    const files = [
      "Photos/Cat.lrcat",
      "Photos/Cat Previews.lrdata/0/A/a.lrprev",
      "Photos/Cat Previews.lrdata/0/B/b.lrprev",
      "Photos/Cat Previews.lrdata/root-pixels.db",
      "Photos/Shoot/IMG_1.CR3",
      "Photos/Shoot/IMG_1.xmp",
      "Photos/Shoot/IMG_1.xmp.bak",
      "Photos/Shoot/Thumbs.db",
      "Photos/Exports/web.jpg",
      "Docs/Exports/keep.pdf",
      "Docs/Thumbs.db",
      "Docs/caf\xe9.xmp.bak",
    ];
    for (const f of files) {
      const bytes = Buffer.from(path.join(dir, f), "latin1");
      await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await writeFile(f.includes("\xe9") ? bytes : path.join(dir, f), f);
    }
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("applies each source's own spec relative to its root and does not descend into an excluded folder", async () => {
    const r = await scan(
      [path.join(dir, "Photos"), path.join(dir, "Docs")],
      [
        { defaults: true, patterns: ["*.xmp.bak", "/Exports/"] },
        { defaults: false, patterns: ["*.xmp.bak"] },
      ],
    );
    assert.deepEqual(
      r.entries.map((e) => e.path),
      [
        "Docs",
        "Docs/Exports",
        "Docs/Exports/keep.pdf",
        "Docs/Thumbs.db",
        "Photos",
        "Photos/Cat.lrcat",
        "Photos/Shoot",
        "Photos/Shoot/IMG_1.CR3",
        "Photos/Shoot/IMG_1.xmp",
      ],
    );
    // Docs: the latin-1 .xmp.bak; Photos: the previews folder (once, not its 3 files), Exports, .xmp.bak, Thumbs.db.
    assert.equal(r.excluded, 5);
    assert.deepEqual(r.skipped, []);
  });

  it("uses the defaults when no spec is given, and never excludes a source itself", async () => {
    const r = await scan([path.join(dir, "Photos", "Cat Previews.lrdata"), path.join(dir, "Docs", "Thumbs.db")]);
    assert.deepEqual(r.entries.map((e) => e.path).sort(), [
      "Cat Previews.lrdata",
      "Cat Previews.lrdata/0",
      "Cat Previews.lrdata/0/A",
      "Cat Previews.lrdata/0/A/a.lrprev",
      "Cat Previews.lrdata/0/B",
      "Cat Previews.lrdata/0/B/b.lrprev",
      "Cat Previews.lrdata/root-pixels.db",
      "Thumbs.db",
    ]);
    assert.equal(r.excluded, 0);
  });
});
