// services/restore-points.ts in process: the list, one by id and `latest`, newest first with the
// device's name, always within the caller's studio.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { getRestorePoint, listRestorePoints } from "../../../../server/services/restore-points.ts";
import { startInProcess, type InProcess } from "../../../support/in-process.ts";
import { committedRestorePoint } from "../../../support/restore-points.ts";
import { enrollTestDevice, newTestStudio, type TestDevice } from "../../../support/studio.ts";

describe("restore-points service (reading)", () => {
  let s: InProcess;
  let frontDesk: TestDevice;
  let office: TestDevice;
  let stranger: TestDevice;
  /** Committed in this order, so newest last. */
  const ids: string[] = [];
  let refs: string[];

  before(async () => {
    s = await startInProcess();
    const studio = await newTestStudio(s.ctx);
    frontDesk = await enrollTestDevice(s.ctx, studio, "front-desk");
    office = await enrollTestDevice(s.ctx, studio, "office");
    stranger = await enrollTestDevice(s.ctx, await newTestStudio(s.ctx, "Other Studio"), "front-desk");
    for (const [who, label] of [
      [frontDesk, "monday"],
      [office, "tuesday"],
      [frontDesk, "wednesday"],
    ] as const) {
      const id = randomUUID();
      const committed = await committedRestorePoint(s.ctx, who, id, { label });
      if (label === "wednesday") refs = committed;
      ids.push(id);
      await new Promise((r) => setTimeout(r, 5)); // distinct createdAt (milliseconds)
    }
    await committedRestorePoint(s.ctx, stranger, randomUUID(), { label: "not yours" });
  });
  after(async () => s?.close());

  it("lists the studio's restore points newest first, every device's, with its name", async () => {
    const rows = await listRestorePoints(s.ctx, frontDesk.studioId, { limit: 100 });
    assert.deepEqual(
      rows.map((r) => r.id),
      [...ids].reverse(),
    );
    assert.deepEqual(
      rows.map((r) => [r.label, r.device.name]),
      [
        ["wednesday", "front-desk"],
        ["tuesday", "office"],
        ["monday", "front-desk"],
      ],
    );
    const newest = rows[0]!;
    assert.equal(newest.refCount, 3);
    assert.equal(newest.rootChunkId.toString("hex"), refs[0]);
    assert.equal(newest.health, "pending");
    assert.equal(typeof newest.bytes, "bigint");
    assert.ok(!("refs" in newest), "never the packed references");
  });

  it("filters by device name and honours the limit", async () => {
    assert.deepEqual(
      (await listRestorePoints(s.ctx, frontDesk.studioId, { deviceName: "front-desk", limit: 100 })).map((r) => r.label),
      ["wednesday", "monday"],
    );
    assert.deepEqual(await listRestorePoints(s.ctx, frontDesk.studioId, { deviceName: "nobody", limit: 100 }), []);
    assert.deepEqual(
      (await listRestorePoints(s.ctx, frontDesk.studioId, { limit: 2 })).map((r) => r.label),
      ["wednesday", "tuesday"],
    );
  });

  it("reads one by id or `latest`; another studio's id is not found", async () => {
    assert.equal((await getRestorePoint(s.ctx, office.studioId, ids[0]!)).label, "monday");
    assert.equal((await getRestorePoint(s.ctx, office.studioId, "latest")).id, ids[2]);
    assert.equal((await getRestorePoint(s.ctx, stranger.studioId, "latest")).label, "not yours");
    await assert.rejects(getRestorePoint(s.ctx, stranger.studioId, ids[0]!), { code: "NOT_FOUND" });
    await assert.rejects(getRestorePoint(s.ctx, frontDesk.studioId, randomUUID()), { code: "NOT_FOUND" });
  });

  it("a studio without restore points lists none and has no latest", async () => {
    const empty = await enrollTestDevice(s.ctx, await newTestStudio(s.ctx, "New Studio"));
    assert.deepEqual(await listRestorePoints(s.ctx, empty.studioId, { limit: 100 }), []);
    await assert.rejects(getRestorePoint(s.ctx, empty.studioId, "latest"), { code: "NOT_FOUND" });
  });
});
