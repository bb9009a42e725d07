// The reversible mapping of names a Windows (or case-insensitive) target cannot hold (FORMAT.md §6).
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { describe, it } from "node:test";
import { CaseCollisions, windowsOriginalName, windowsSafeName } from "../../../../uploader/format/index.ts";

const latin1 = (s: string) => Buffer.from(s, "latin1");
const utf8 = (s: string) => Buffer.from(s, "utf8");

describe("windowsSafeName", () => {
  it("maps exactly as FORMAT.md says", () => {
    const cases: Array<[Buffer, string]> = [
      [utf8("IMG_1000.jpg"), "IMG_1000.jpg"],
      [utf8("Ünïcødé 😀.jpg"), "Ünïcødé 😀.jpg"],
      [utf8("100% done.jpg"), "100% done.jpg"],
      [utf8("a:b"), "a%3Ab"],
      [utf8('why?*<>|"\\.txt'), "why%3F%2A%3C%3E%7C%22%5C.txt"],
      [utf8("tab\there"), "tab%09here"],
      [utf8("trailing."), "trailing%2E"],
      [utf8("trailing "), "trailing%20"],
      [utf8("a. ."), "a. %2E"],
      [utf8("con.txt"), "%63on.txt"],
      [utf8("CON"), "%43ON"],
      [utf8("Nul.tar.gz"), "%4Eul.tar.gz"],
      [utf8("com1 .log"), "%63om1 .log"],
      [utf8("LPT\u00b9"), "%4CPT\u00b9"],
      [utf8("console.txt"), "console.txt"],
      [utf8("con."), "%63on%2E"],
      [utf8("My%20File.jpg"), "My%2520File.jpg"],
      [utf8("x%~2.jpg"), "x%25~2.jpg"],
      [utf8("50%a"), "50%a"],
      [latin1("caf\xe9.jpg"), "caf%E9.jpg"],
      [latin1("\xff\xfe"), "%FF%FE"],
      [Buffer.from([0xed, 0xa0, 0x80]), "%ED%A0%80"], // an encoded surrogate is not UTF-8
      [Buffer.from([0xe2, 0x82]), "%E2%82"], // a truncated sequence
    ];
    for (const [name, safe] of cases) {
      assert.equal(windowsSafeName(name), safe, name.toString("latin1"));
      assert.deepEqual(windowsOriginalName(safe), name, safe);
    }
  });

  it("is reversible and injective, and never yields a name Windows refuses (random names)", () => {
    const alphabet = [...'ab.%~ :*?\\"<>|AFf09']
      .map((c) => [c.charCodeAt(0)])
      .concat([[0xff], [0xc3, 0xa9], [0xe9], [0x01], [0xf0, 0x9f, 0x98, 0x80]]);
    const seen = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) {
      const parts: number[] = [];
      for (let n = 1 + randomInt(8); n > 0; n--) parts.push(...alphabet[randomInt(alphabet.length)]!);
      const name = Buffer.from(parts);
      const safe = windowsSafeName(name);
      assert.deepEqual(windowsOriginalName(safe), name, safe);
      const other = seen.get(safe);
      assert.ok(other === undefined || other === name.toString("hex"), `${safe} from two names`);
      seen.set(safe, name.toString("hex"));
      assert.ok(![...safe].some((c) => c.charCodeAt(0) < 0x20), safe);
      assert.doesNotMatch(safe, /["*:<>?\\|]|[. ]$|\ufffd|%~/, safe);
      assert.ok(!/^(con|prn|aux|nul|com\d|lpt\d)( *)(\.|$)/i.test(safe), safe);
    }
  });
});

describe("CaseCollisions", () => {
  it("keeps the first of each case-folded name and suffixes the others reversibly", () => {
    const folder = new CaseCollisions();
    const placed = ["A.jpg", "B.jpg", "a.jpg", "a.JPG", ".bashrc", ".BASHRC", "README", "readme", "e\u0301", "\u00e9"].map((n) =>
      folder.place(n),
    );
    assert.deepEqual(placed, [
      "A.jpg",
      "B.jpg",
      "a%~2.jpg",
      "a%~3.JPG",
      ".bashrc",
      ".BASHRC%~2",
      "README",
      "readme%~2",
      "e\u0301",
      "\u00e9%~2",
    ]);
    assert.deepEqual(
      placed.map((p) => windowsOriginalName(p).toString()),
      ["A.jpg", "B.jpg", "a.jpg", "a.JPG", ".bashrc", ".BASHRC", "README", "readme", "e\u0301", "\u00e9"],
    );
    // A suffixed name never meets a stored one: "%~" in a stored name is mapped to "%25~".
    assert.equal(folder.place(windowsSafeName(utf8("a%~2.jpg"))), "a%25~2.jpg");
  });
});
