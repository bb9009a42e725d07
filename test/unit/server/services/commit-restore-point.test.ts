// services/commit-restore-point.ts in process: a restore point is committed only when its pages
// are complete and every chunk they reference is stored; a retried commit gets the first answer;
// an id taken (in this studio or another) is refused the same way.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { commitRestorePoint } from "../../../../server/services/commit-restore-point.ts";
import { startInProcess, type InProcess } from "../../../support/in-process.ts";
import { chunkIds, commitOf, committedRestorePoint, sendRefPages, storeChunkRows } from "../../../support/restore-points.ts";
import { enrollTestDevice, newTestStudio, type TestDevice } from "../../../support/studio.ts";

describe("commit-restore-point service", () => {
  let s: InProcess;
  let device: TestDevice;
  let otherStudio: TestDevice;
  const pending = (restorePointId: string) => s.ctx.db.pendingRefPage.count({ where: { restorePointId } });

  before(async () => {
    s = await startInProcess();
    device = await enrollTestDevice(s.ctx, await newTestStudio(s.ctx));
    otherStudio = await enrollTestDevice(s.ctx, await newTestStudio(s.ctx, "Other Studio"));
  });
  after(async () => s?.close());

  it("commits the pages' references in order, clears the pages and requests verification once", async () => {
    const ids = chunkIds(7);
    await storeChunkRows(s.ctx, device, ids);
    const id = randomUUID();
    const pages = await sendRefPages(s.ctx, device, id, ids, 3);
    const before = s.verifyRequests.length;
    assert.deepEqual(await commitRestorePoint(s.ctx, device, id, commitOf(ids, pages, { label: "before import", files: 3, bytes: 700 })), {
      restorePointId: id,
      created: true,
    });

    const row = await s.ctx.db.restorePoint.findUniqueOrThrow({ where: { id } });
    assert.equal(Buffer.from(row.refs).toString("hex"), ids.join(""), "refs: the pages concatenated in page order");
    assert.equal(row.refCount, 7);
    assert.equal(row.label, "before import");
    assert.equal(row.deviceId, device.deviceId);
    assert.equal(row.health, "pending");
    assert.equal(await pending(id), 0, "the pages are gone");
    assert.deepEqual(s.verifyRequests.slice(before), [{ studioId: device.studioId, restorePointId: id }]);

    assert.deepEqual(
      await commitRestorePoint(s.ctx, device, id, commitOf(ids, pages)),
      { restorePointId: id, created: false },
      "a retry after success",
    );
    assert.equal(s.verifyRequests.length, before + 1, "no second verification");
  });

  it("refuses while a referenced chunk is not stored, keeping the pages for the retry", async () => {
    const ids = chunkIds(4);
    await storeChunkRows(s.ctx, device, ids.slice(0, 2));
    const id = randomUUID();
    const pages = await sendRefPages(s.ctx, device, id, ids);
    await assert.rejects(
      commitRestorePoint(s.ctx, device, id, commitOf(ids, pages)),
      (err: { code: string; details?: { missing: string[]; missingCount: number } }) => {
        assert.equal(err.code, "CHUNKS_MISSING");
        assert.deepEqual(err.details, { missing: ids.slice(2), missingCount: 2 });
        return true;
      },
    );
    assert.equal(await pending(id), 1);
    await storeChunkRows(s.ctx, device, ids.slice(2));
    assert.equal((await commitRestorePoint(s.ctx, device, id, commitOf(ids, pages))).created, true);
  });

  it("refuses a body that does not match the pages", async () => {
    const ids = chunkIds(4);
    await storeChunkRows(s.ctx, device, ids);
    const id = randomUUID();
    const pages = await sendRefPages(s.ctx, device, id, ids, 2);
    await assert.rejects(commitRestorePoint(s.ctx, device, id, commitOf(ids, pages + 1)), { code: "REFS_INCOMPLETE" });
    await assert.rejects(commitRestorePoint(s.ctx, device, id, commitOf(ids, pages, { refCount: 5 })), { code: "VALIDATION_FAILED" });
    await assert.rejects(
      commitRestorePoint(s.ctx, device, id, commitOf(ids, pages, { rootChunkId: chunkIds(1)[0]! })),
      { code: "VALIDATION_FAILED" },
      "the root must be referenced",
    );
    assert.equal(await s.ctx.db.restorePoint.count({ where: { id } }), 0);
    assert.equal(await pending(id), pages, "nothing was consumed");
  });

  it("an id taken by another restore point of the studio, or by another studio, is ALREADY_COMMITTED", async () => {
    const taken = randomUUID();
    await committedRestorePoint(s.ctx, device, taken);
    const ids = chunkIds(2);
    await storeChunkRows(s.ctx, device, ids);
    await assert.rejects(
      commitRestorePoint(s.ctx, device, taken, commitOf(ids, 1)),
      { code: "ALREADY_COMMITTED" },
      "same studio, another root",
    );

    const theirs = chunkIds(2);
    await storeChunkRows(s.ctx, otherStudio, theirs);
    const pages = await sendRefPages(s.ctx, otherStudio, taken, theirs);
    await assert.rejects(
      commitRestorePoint(s.ctx, otherStudio, taken, commitOf(theirs, pages)),
      { code: "ALREADY_COMMITTED" },
      "another studio learns only that the id is taken",
    );
    assert.equal(
      await s.ctx.db.pendingRefPage.count({ where: { restorePointId: taken, studioId: otherStudio.studioId } }),
      0,
      "its pages are dropped",
    );
    const row = await s.ctx.db.restorePoint.findUniqueOrThrow({ where: { id: taken } });
    assert.equal(row.studioId, device.studioId, "the restore point is untouched");
  });
});
