// Quotas and usage end to end: a real server (API + worker with its sweeper), the real uploader
// and datasafe-admin. A backup past quota + grace stops at once with a clear message and the
// numbers (no retry loop); inside the grace it commits and says so; a relayed pack over the quota
// is answered 413 over HTTP; owners see their own studio's usage only, staff any; datasafe-admin
// usage prints the current usage and the daily rows the sweeper's job wrote.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { studioUsageView, usageDaysView } from "../../protocol/usage.ts";
import { lastCompleteDay } from "../../server/services/usage.ts";
import { admin, newStudio, Pc, run } from "../support/cli.ts";
import { waitFor } from "../support/integrity.ts";
import { api, owner, staff, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("quotas and usage over HTTP, with the real uploader and datasafe-admin", () => {
  let server: TestServer;
  const studios: Record<"A" | "B", { studioId: string; pc: Pc; owner: Person }> = {} as never;
  let support: Person;
  let src: string;

  before(async () => {
    server = await startServer({ env: { SWEEP_INTERVAL_SECONDS: "1", QUOTA_GRACE_PERCENT: "10" } });
    for (const t of ["A", "B"] as const) {
      const studio = await newStudio(server, `Quota ${t}`);
      const pc = await Pc.create(server);
      const enrolled = await pc.run(["enroll", "--token", await studio.token(), "--name", `pc-${t}`]);
      assert.equal(enrolled.code, 0, enrolled.stderr);
      studios[t] = { studioId: studio.studioId, pc, owner: await owner(server, studio.studioId, `owner-${t.toLowerCase()}@quota.test`) };
    }
    support = await staff(server, "support@quota.test", "support");
    src = path.join(server.dir, "photos");
    await mkdir(src);
    await writeFile(path.join(src, "a.raw"), randomBytes(300_000)); // incompressible
  });
  after(async () => server?.stop());

  it("a backup past the quota stops at once with the numbers; inside the grace it goes in and is told", async () => {
    const { studioId, pc } = studios.A;
    assert.equal((await admin(server, ["set-quota", "--studio", studioId, "--bytes", "1000"])).code, 0);
    const started = Date.now();
    const refused = await pc.run(["backup", src]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /backup stopped: the studio's storage quota is full: 0 bytes used of a 1000 bytes quota \(uploads allowed up to 1100 bytes\), and this backup had \d+ bytes more to send\. Nothing already stored was lost/,
    );
    const error = refused.json.error as Record<string, unknown>;
    assert.equal(error.code, "QUOTA_EXCEEDED");
    assert.deepEqual([error.used, error.pending, error.quota, error.limit], [0, 0, 1000, 1100]);
    assert.ok((error.upload as number) > 300_000, `the pack's size (${String(error.upload)})`);
    // Retrying a 413 (8 attempts, backoff up to 15 s) would take far longer.
    assert.ok(Date.now() - started < 15_000, `stopped after ${Date.now() - started} ms`);

    // ~300 KB over a quota of 290,000 bytes: inside the 10 % grace (319,000).
    assert.equal((await admin(server, ["set-quota", "--studio", studioId, "--bytes", "290000"])).code, 0);
    const admitted = await run("datasafe.js", ["backup", src], pc.env());
    assert.equal(admitted.code, 0, admitted.stderr);
    assert.match(
      admitted.stdout,
      /\nwarning: the studio is over its storage quota \(10\d(\.\d)? % of 290000 bytes\): backups go on up to 319000 bytes, then stop/,
    );

    const usage = await api(server, "GET", `/v1/studios/${studioId}/usage`, { token: studios.A.owner.accessToken });
    assert.equal(usage.status, 200);
    const u = studioUsageView.parse(usage.body);
    assert.equal(u.level, "over");
    assert.equal(u.quotaBytes, 290_000);
    assert.equal(u.limitBytes, 319_000);
    assert.ok(u.storedBytes > 290_000 && u.storedBytes <= 319_000, `stored ${u.storedBytes}`);
    assert.equal(u.percent, Math.round((u.storedBytes * 1000) / 290_000) / 10);
  });

  it("a relayed pack past the limit is answered 413 QUOTA_EXCEEDED over HTTP, and nothing is stored", async () => {
    const { studioId, pc } = studios.A;
    const before = studioUsageView.parse((await api(server, "GET", `/v1/studios/${studioId}/usage`, { token: support.accessToken })).body);
    const data = randomBytes(40_000);
    const head = Buffer.from(
      JSON.stringify({
        sessionId: randomUUID(),
        chunks: [{ id: randomBytes(32).toString("hex"), size: data.length, sha256: createHash("sha256").update(data).digest("hex") }],
      }),
    );
    const res = await fetch(`${server.url}/v1/packs`, {
      method: "PUT",
      headers: { ...(await pc.auth()), "content-type": "application/octet-stream", "x-pack-table-length": String(head.length) },
      body: new Uint8Array(Buffer.concat([head, data])),
    });
    assert.equal(res.status, 413);
    const body = (await res.json()) as { error: Record<string, unknown> };
    assert.equal(body.error.code, "QUOTA_EXCEEDED");
    assert.deepEqual(
      [body.error.used, body.error.quota, body.error.limit, body.error.upload],
      [before.storedBytes, 290_000, 319_000, 40_000],
    );
    const now = studioUsageView.parse((await api(server, "GET", `/v1/studios/${studioId}/usage`, { token: support.accessToken })).body);
    assert.equal(now.storedBytes, before.storedBytes);
  });

  it("owners see their own studio's usage only, staff any; datasafe-admin usage prints the daily rows", async () => {
    const [A, B] = [studios.A, studios.B];
    for (const p of ["usage", "usage/days"]) {
      assert.equal((await api(server, "GET", `/v1/studios/${B.studioId}/${p}`, { token: A.owner.accessToken })).status, 404);
      assert.equal((await api(server, "GET", `/v1/studios/${A.studioId}/${p}`, { token: B.owner.accessToken })).status, 404);
      assert.equal((await api(server, "GET", `/v1/studios/${B.studioId}/${p}`, { token: support.accessToken })).status, 200);
    }
    assert.equal(
      studioUsageView.parse((await api(server, "GET", `/v1/studios/${B.studioId}/usage`, { token: B.owner.accessToken })).body).level,
      "none",
    );

    // The worker's sweeper records the last complete day for every studio (its snapshot, taken now).
    const yesterday = lastCompleteDay(new Date());
    const days = await waitFor("the daily usage row", async () => {
      const r = await api(server, "GET", `/v1/studios/${A.studioId}/usage/days`, { token: A.owner.accessToken });
      const v = usageDaysView.parse(r.body);
      return v.days.length ? v : null;
    });
    assert.equal(days.studioId, A.studioId);
    assert.deepEqual(
      days.days.map((d) => d.day),
      [yesterday],
    );

    const json = await admin(server, ["usage", "--studio", A.studioId]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal((json.json.current as { level: string }).level, "over");
    assert.deepEqual(
      (json.json.days as Array<{ studioId: string; day: string }>).map((d) => [d.studioId, d.day]),
      [[A.studioId, yesterday]],
    );
    const text = await run("datasafe-admin.js", ["usage", "--studio", A.studioId], server.env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^studio ${A.studioId}: .* stored of a 290000 bytes quota \\(1\\d\\d(\\.\\d)? %, over\\)`, "m"));
    assert.match(text.stdout, new RegExp(`^${yesterday}  ${A.studioId}  stored .*  \\d+ chunks  \\d+ restore points  uploaded `, "m"));
    const all = await admin(server, ["usage"]);
    const ids = (all.json.days as Array<{ studioId: string }>).map((d) => d.studioId);
    assert.ok(ids.includes(A.studioId) && ids.includes(B.studioId), "every studio's row of the last complete day");

    // set-quota: exactly one of --bytes and --unlimited; audited.
    assert.equal((await admin(server, ["set-quota", "--studio", B.studioId, "--bytes", "5", "--unlimited"])).code, 2);
    assert.equal((await admin(server, ["set-quota", "--studio", randomUUID(), "--unlimited"])).code, 4);
    const unlimited = await admin(server, ["set-quota", "--studio", A.studioId, "--unlimited"]);
    assert.equal(unlimited.json.level, "none");
    const audit = await admin(server, ["audit", "--studio", A.studioId]);
    const quotaEvents = (audit.json.events as Array<{ action: string; details: unknown }>).filter((e) => e.action === "studio.quota.set");
    assert.deepEqual(
      quotaEvents.map((e) => e.details),
      [
        { from: 290_000, to: null },
        { from: 1000, to: 290_000 },
        { from: null, to: 1000 },
      ],
    );
  });
});
