// Owners see support's looks (issue 19): GET /v1/studios/:studioId/support-access lists every look
// of support or admin at the studio (from the audit log's support.lookup rows) with the staff
// member's e-mail, the time and what they looked at; an owner's own reads are not looks; another
// studio's owner gets 404 and support itself 403. Real server, Postgres and Redis.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SupportLookView } from "../../protocol/support-access.ts";
import { newStudio } from "../support/cli.ts";
import { api, owner, staff, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("owners see support's looks", () => {
  let server: TestServer;
  let a: string;
  let b: string;
  let ownerA: Person;
  let ownerB: Person;
  let support: Person;
  let admin: Person;

  const get = (who: Person, path: string) => api(server, "GET", path, { token: who.accessToken });
  const looks = async (who: Person, studioId: string, query = "") => {
    const r = await get(who, `/v1/studios/${studioId}/support-access${query}`);
    return {
      status: r.status,
      code: (r.body.error as { code?: string } | undefined)?.code,
      looks: r.body.looks as SupportLookView[] | undefined,
    };
  };

  before(async () => {
    server = await startServer();
    a = (await newStudio(server, "Studio A")).studioId;
    b = (await newStudio(server, "Studio B")).studioId;
    ownerA = await owner(server, a, "owner-a@looks.test");
    ownerB = await owner(server, b, "owner-b@looks.test");
    support = await staff(server, "support@looks.test", "support");
    admin = await staff(server, "admin@looks.test", "admin");
  });
  after(async () => server?.stop());

  it("lists who from support or admin looked, when and at what, newest first", async () => {
    const before = await looks(ownerA, a);
    assert.equal(before.status, 200);
    assert.deepEqual(before.looks, [], "an owner's own reads are not looks");

    const t0 = Date.now();
    assert.equal((await get(support, `/v1/studios/${a}`)).status, 200);
    assert.equal((await get(support, `/v1/studios/${a}/devices`)).status, 200);
    assert.equal((await get(admin, `/v1/studios/${a}/audit`)).status, 200);
    assert.equal((await get(support, `/v1/studios/${b}`)).status, 200); // B's, never shown to A

    const r = await looks(ownerA, a);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.looks!.map((l) => [l.email, l.role, l.what]),
      [
        ["admin@looks.test", "admin", "GET /v1/studios/:studioId/audit"],
        ["support@looks.test", "support", "GET /v1/studios/:studioId/devices"],
        ["support@looks.test", "support", "GET /v1/studios/:studioId"],
      ],
    );
    assert.equal(r.looks![2]!.summary, "the studio's summary: latest and verified restore points, devices, storage, alerts");
    for (const l of r.looks!) {
      assert.ok(Date.parse(l.at) >= t0 - 1000 && Date.parse(l.at) <= Date.now() + 1000, "the time of the look");
      assert.equal("address" in l, false, "staff's addresses stay with us");
    }
    const since = await looks(ownerA, a, `?since=${encodeURIComponent(r.looks![0]!.at)}`);
    assert.deepEqual(
      since.looks!.map((l) => l.what),
      ["GET /v1/studios/:studioId/audit"],
    );
  });

  it("another studio's owner gets 404, support 403; an admin reads it (and is itself a look)", async () => {
    assert.deepEqual((({ status, code }) => ({ status, code }))(await looks(ownerB, a)), { status: 404, code: "NOT_FOUND" });
    assert.deepEqual((({ status, code }) => ({ status, code }))(await looks(support, a)), { status: 403, code: "FORBIDDEN" });
    const byAdmin = await looks(admin, a);
    assert.equal(byAdmin.status, 200);
    assert.equal(byAdmin.looks![0]!.what, "GET /v1/studios/:studioId/support-access");
    const bOwn = await looks(ownerB, b);
    assert.deepEqual(
      bOwn.looks!.map((l) => l.email),
      ["support@looks.test"],
    );
  });
});
