// Packer: which chunks go into which pack, and the bound on envelopes held.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_CHUNKS_PER_PACK } from "../../../../protocol/limits.ts";
import { Packer, type FilledPack } from "../../../../uploader/backup/packer.ts";

const waiter = { resolve: () => undefined, reject: () => undefined };
const entry = (i: number, size: number) => ({ id: i.toString(16).padStart(64, "0"), size, sha256: "0".repeat(64) });
const add = (p: Packer, i: number, size: number) => p.add(entry(i, size), Buffer.alloc(size), waiter);

describe("Packer", () => {
  it("sends a pack before a chunk would overflow it, full ones at once, and the rest on close()", async () => {
    const sent: FilledPack[] = [];
    const p = new Packer(100, 1000, (pack) => sent.push(pack));
    await add(p, 1, 60);
    await add(p, 2, 30);
    assert.equal(sent.length, 0, "90 of 100 bytes: still filling");
    await add(p, 3, 20); // would make 110
    assert.deepEqual(
      sent.map((s) => s.table.map((t) => t.size)),
      [[60, 30]],
    );
    await add(p, 4, 80); // 20 + 80 = 100: full
    assert.deepEqual(
      sent.map((s) => s.table.map((t) => t.size)),
      [
        [60, 30],
        [20, 80],
      ],
    );
    await add(p, 5, 250); // larger than a pack: alone
    await add(p, 6, 5);
    assert.deepEqual(
      sent.at(-1)!.table.map((t) => t.size),
      [250],
    );
    assert.equal(p.close(), true);
    assert.equal(p.close(), false, "nothing left");
    assert.deepEqual(
      sent.map((s) => [s.bytes, s.envelopes.length, s.chunks.length]),
      [
        [90, 2, 2],
        [100, 2, 2],
        [250, 1, 1],
        [5, 1, 1],
      ],
    );
  });

  it("caps the chunks per pack", async () => {
    const sent: FilledPack[] = [];
    const p = new Packer(1 << 30, 1 << 31, (pack) => sent.push(pack));
    for (let i = 0; i < MAX_CHUNKS_PER_PACK + 1; i++) await add(p, i, 1);
    assert.deepEqual(
      sent.map((s) => s.table.length),
      [MAX_CHUNKS_PER_PACK],
    );
  });

  it("holds at most maxHeldBytes of envelopes: add() waits until a sent pack is released", async () => {
    const sent: FilledPack[] = [];
    const p = new Packer(100, 200, (pack) => sent.push(pack));
    await add(p, 1, 100);
    await add(p, 2, 100);
    let added = false;
    const third = add(p, 3, 50).then(() => (added = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(added, false, "two packs of 100 held: no room");
    sent[0]!.release();
    await third;
    assert.equal(added, true);
    assert.deepEqual(sent[0]!.envelopes, [], "a released pack lets go of its envelopes");
  });
});
