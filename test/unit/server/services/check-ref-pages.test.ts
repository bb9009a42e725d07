// services/check-ref-pages.ts in process: what a commit is checked against, page by page in
// Postgres: order and uniqueness across pages, the root listed, the count, chunks the studio does
// not hold (damaged ones included), and only the writer's own pages.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { bytes } from "../../../../server/db.ts";
import { checkRefPages } from "../../../../server/services/check-ref-pages.ts";
import { startInProcess, type InProcess } from "../../../support/in-process.ts";
import { chunkIds, sendRefPages, storeChunkRows } from "../../../support/restore-points.ts";
import { enrollTestDevice, newTestStudio, type TestDevice } from "../../../support/studio.ts";

const root = (ids: string[]) => Buffer.from(ids[0]!, "hex");

describe("check-ref-pages service", () => {
  let s: InProcess;
  let device: TestDevice;
  let sameStudio: TestDevice;
  let otherStudio: TestDevice;

  before(async () => {
    s = await startInProcess();
    const studio = await newTestStudio(s.ctx);
    device = await enrollTestDevice(s.ctx, studio, "front-desk");
    sameStudio = await enrollTestDevice(s.ctx, studio, "office");
    otherStudio = await enrollTestDevice(s.ctx, await newTestStudio(s.ctx, "Other Studio"));
  });
  after(async () => s?.close());

  it("counts the ids of every page, finds the root, and hashes the pages in order", async () => {
    const ids = chunkIds(10);
    await storeChunkRows(s.ctx, device, ids);
    const id = randomUUID();
    const pages = await sendRefPages(s.ctx, device, id, ids, 4);
    assert.equal(pages, 3);
    const checked = await checkRefPages(s.ctx, device, id, pages, root(ids));
    const pageHashes = [ids.slice(0, 4), ids.slice(4, 8), ids.slice(8)].map((p) =>
      createHash("sha256")
        .update(Buffer.concat(p.map((x) => Buffer.from(x, "hex"))))
        .digest(),
    );
    assert.deepEqual(checked, {
      count: 10,
      rootListed: true,
      missing: [],
      missingCount: 0,
      digest: createHash("sha256").update(Buffer.concat(pageHashes)).digest(),
    });
    assert.equal((await checkRefPages(s.ctx, device, id, pages, Buffer.alloc(32, 0xff))).rootListed, false);
  });

  it("lists chunks the studio does not hold, and damaged ones, as missing", async () => {
    const ids = chunkIds(6);
    await storeChunkRows(s.ctx, device, ids.slice(0, 4));
    await s.ctx.db.chunk.updateMany({
      where: { studioId: device.studioId, id: bytes(Buffer.from(ids[1]!, "hex")) },
      data: { state: "damaged" },
    });
    const id = randomUUID();
    const pages = await sendRefPages(s.ctx, device, id, ids, 3);
    const checked = await checkRefPages(s.ctx, device, id, pages, root(ids));
    assert.equal(checked.missingCount, 3);
    assert.deepEqual(checked.missing, [ids[1], ids[4], ids[5]]);
  });

  it("another studio's chunks are not this studio's", async () => {
    const ids = chunkIds(2);
    await storeChunkRows(s.ctx, otherStudio, ids);
    const id = randomUUID();
    const pages = await sendRefPages(s.ctx, device, id, ids);
    assert.equal((await checkRefPages(s.ctx, device, id, pages, root(ids))).missingCount, 2);
  });

  it("refuses ids out of order or repeated, within a page and across pages", async () => {
    const ids = chunkIds(4);
    await storeChunkRows(s.ctx, device, ids);
    const unsorted = randomUUID();
    await sendRefPages(s.ctx, device, unsorted, [ids[1]!, ids[0]!]);
    await assert.rejects(checkRefPages(s.ctx, device, unsorted, 1, root(ids)), { code: "VALIDATION_FAILED" });
    const repeated = randomUUID();
    const pages = await sendRefPages(s.ctx, device, repeated, [ids[0]!, ids[1]!, ids[1]!, ids[2]!], 2);
    await assert.rejects(
      checkRefPages(s.ctx, device, repeated, pages, root(ids)),
      { code: "VALIDATION_FAILED" },
      "the same id ends one page and starts the next",
    );
  });

  it("sees only the writer's own pages: a missing page is REFS_INCOMPLETE", async () => {
    const ids = chunkIds(4);
    await storeChunkRows(s.ctx, device, ids);
    const id = randomUUID();
    const pages = await sendRefPages(s.ctx, device, id, ids, 2);
    await assert.rejects(checkRefPages(s.ctx, device, id, pages + 1, root(ids)), { code: "REFS_INCOMPLETE" }, "one page more than sent");
    await assert.rejects(
      checkRefPages(s.ctx, sameStudio, id, pages, root(ids)),
      { code: "REFS_INCOMPLETE" },
      "another device of the studio",
    );
    await assert.rejects(checkRefPages(s.ctx, otherStudio, id, pages, root(ids)), { code: "REFS_INCOMPLETE" }, "another studio");
  });
});
