// Run history (issue 19): the agent's reporting code (uploader/agent/run-report.ts) against a real
// server (API + worker, Postgres, Redis), read back by owners and support; idempotence on the run
// id; the input bounds; tenancy (another studio's device or restore point answers 404); the
// summary's newest run per device; and the sweeper deleting runs older than 400 days.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type pg from "pg";
import { RUN_HISTORY_DAYS, type RunReportBody, type RunView } from "../../protocol/runs.ts";
import type { Log } from "../../uploader/agent/logger.ts";
import { endReport, RunReporter, startReport } from "../../uploader/agent/run-report.ts";
import { loadDeviceState, type DeviceState } from "../../uploader/state.ts";
import { newStudio, Pc } from "../support/cli.ts";
import { sql, waitFor } from "../support/integrity.ts";
import { api, owner, staff, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

const DAY_MS = 86_400_000;

interface Tenant {
  studioId: string;
  pc: Pc;
  state: DeviceState;
  deviceId: string;
  restorePointId: string;
  owner: Person;
}

function quietLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const put = (msg: string) => void lines.push(msg);
  return { lines, debug: put, info: put, warn: put, error: put, close: async () => undefined };
}

describe("run history", { timeout: 120_000 }, () => {
  let server: TestServer;
  let db: pg.Client;
  let A: Tenant;
  let B: Tenant;
  let support: Person;

  async function tenant(name: string, email: string): Promise<Tenant> {
    const studio = await newStudio(server, name);
    const pc = await Pc.create(server);
    const e = await pc.run(["enroll", "--token", await studio.token(), "--name", `${name} pc`]);
    assert.equal(e.code, 0, e.stderr);
    const src = path.join(pc.home, "..", `src-${randomUUID()}`);
    await mkdir(src);
    await writeFile(path.join(src, "a.txt"), name);
    const b = await pc.run(["backup", src]);
    assert.equal(b.code, 0, b.stderr);
    const state = await loadDeviceState(pc.home);
    return {
      studioId: studio.studioId,
      pc,
      state,
      deviceId: state.deviceId,
      restorePointId: String(b.json.restorePointId),
      owner: await owner(server, studio.studioId, email),
    };
  }

  const put = (t: Tenant, runId: string, body: unknown) => api(server, "PUT", `/v1/runs/${runId}`, { token: t.state.accessToken, body });
  const runsOf = async (who: Person, studioId: string, deviceId: string, query = "") => {
    const r = await api(server, "GET", `/v1/studios/${studioId}/devices/${deviceId}/runs${query}`, { token: who.accessToken });
    return { status: r.status, code: (r.body.error as { code?: string } | undefined)?.code, runs: r.body.runs as RunView[] | undefined };
  };
  const finished = (t: Tenant, startedAt: Date, over: Partial<RunReportBody> = {}): RunReportBody => ({
    ...endReport({
      trigger: "schedule",
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(startedAt.getTime() + 60_000).toISOString(),
      result: "ok",
      restorePointId: t.restorePointId,
      files: 1,
      bytesRead: 10,
      bytesUploaded: 10,
      durationMs: 60_000,
      skipped: 0,
      errorCode: null,
      error: null,
    }),
    ...over,
  });

  before(async () => {
    server = await startServer({ env: { SWEEP_INTERVAL_SECONDS: "0.5" } });
    db = await sql(server);
    A = await tenant("Studio A", "owner-a@runs.test");
    B = await tenant("Studio B", "owner-b@runs.test");
    support = await staff(server, "support@runs.test", "support");
  });
  after(async () => {
    await db?.end();
    await server?.stop();
  });

  it("the agent's reporter sends a run's start and end; owners and support read it, the summary shows it", async () => {
    const log = quietLog();
    const reporter = new RunReporter({ state: A.state, log });
    const runId = randomUUID();
    const startedAt = new Date(Date.now() - 5000);
    await reporter.report(runId, startReport("watch", startedAt));
    let r = await runsOf(A.owner, A.studioId, A.deviceId);
    assert.equal(r.status, 200);
    const started = r.runs!.find((x) => x.id === runId);
    assert.ok(started, "the start is recorded");
    assert.deepEqual([started.trigger, started.result, started.finishedAt], ["watched", null, null]);

    await reporter.report(
      runId,
      endReport({
        trigger: "watch",
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        result: "ok",
        restorePointId: A.restorePointId,
        files: 3,
        bytesRead: 300,
        bytesUploaded: 100,
        durationMs: 5000,
        skipped: 1,
        errorCode: null,
        error: "kept on the PC",
      }),
    );
    assert.equal(reporter.pending, 0);
    r = await runsOf(support, A.studioId, A.deviceId);
    assert.equal(r.status, 200);
    const done = r.runs!.filter((x) => x.id === runId);
    assert.equal(done.length, 1, "one row per run id");
    assert.deepEqual(
      {
        trigger: done[0]!.trigger,
        result: done[0]!.result,
        errorCode: done[0]!.errorCode,
        restorePointId: done[0]!.restorePointId,
        files: done[0]!.files,
        skipped: done[0]!.skipped,
      },
      { trigger: "watched", result: "partial", errorCode: null, restorePointId: A.restorePointId, files: 3, skipped: 1 },
    );
    assert.equal(JSON.stringify(r.runs).includes("kept on the PC"), false, "error messages stay on the PC");

    const summary = await api(server, "GET", `/v1/studios/${A.studioId}`, { token: A.owner.accessToken });
    assert.equal(summary.status, 200);
    const dev = (
      summary.body.devices as Array<{ id: string; lastRun: { id: string; result: string; errorCode: string | null } | null }>
    ).find((d) => d.id === A.deviceId);
    assert.deepEqual(dev?.lastRun && { id: dev.lastRun.id, result: dev.lastRun.result }, { id: runId, result: "partial" });
    reporter.stop();
  });

  it("a failed run's error code reaches the summary; a finished run is final, a repeated report changes nothing", async () => {
    const runId = randomUUID();
    const failed = finished(A, new Date(Date.now() - 1000), { result: "failed", errorCode: "SOURCE_MISSING", restorePointId: null });
    const first = await put(A, runId, failed);
    assert.equal(first.status, 200);
    assert.equal(first.body.recorded, true);
    const again = await put(A, runId, failed);
    assert.equal(again.status, 200);
    assert.equal(again.body.recorded, false);
    const late = await put(A, runId, startReport("schedule", new Date()));
    assert.equal(late.body.recorded, false, "a late start report does not reopen the run");
    assert.equal((late.body.run as RunView).result, "failed");
    const rows = await db.query(`SELECT count(*)::int AS n FROM "DeviceRun" WHERE id = $1`, [runId]);
    assert.equal(rows.rows[0].n, 1);

    const summary = await api(server, "GET", `/v1/studios/${A.studioId}`, { token: support.accessToken });
    const dev = (summary.body.devices as Array<{ id: string; lastRun: { result: string; errorCode: string | null } | null }>).find(
      (d) => d.id === A.deviceId,
    );
    assert.deepEqual(dev?.lastRun && { result: dev.lastRun.result, errorCode: dev.lastRun.errorCode }, {
      result: "failed",
      errorCode: "SOURCE_MISSING",
    });
  });

  it("reports are validated and bounded", async () => {
    const now = Date.now();
    const bad: Array<[string, unknown]> = [
      ["a message instead of a code", { ...finished(A, new Date(now - 1000)), errorCode: "cannot read D:\\Kunden\\x.psd" }],
      ["an unknown field", { ...finished(A, new Date(now - 1000)), error: "free text" }],
      ["a result without an end", { ...finished(A, new Date(now - 1000)), finishedAt: null }],
      ["an end before the start", { ...finished(A, new Date(now - 1000)), finishedAt: new Date(now - 5000).toISOString() }],
      ["an unknown trigger", { ...finished(A, new Date(now - 1000)), trigger: "cron" }],
      ["a start older than the history", finished(A, new Date(now - (RUN_HISTORY_DAYS + 1) * DAY_MS), { restorePointId: null })],
      ["a start two days ahead", finished(A, new Date(now + 2 * DAY_MS), { restorePointId: null })],
    ];
    for (const [what, body] of bad) {
      const r = await put(A, randomUUID(), body);
      assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
    }
    assert.equal((await put(A, "not-a-uuid", finished(A, new Date(now - 1000)))).status, 400);
  });

  it("tenancy: another studio's device or restore point answers 404", async () => {
    const own = await put(B, randomUUID(), finished(B, new Date(Date.now() - 500)));
    assert.equal(own.status, 200);
    const foreign = await put(B, randomUUID(), finished(A, new Date(Date.now() - 1000)));
    assert.equal(foreign.status, 404, "B's device cannot claim A's restore point");

    const cases: Array<[string, Person, string, string]> = [
      ["owner A, A's studio, B's device", A.owner, A.studioId, B.deviceId],
      ["owner B, A's studio and device", B.owner, A.studioId, A.deviceId],
      ["support, A's studio, B's device", support, A.studioId, B.deviceId],
      ["owner A, an unknown device", A.owner, A.studioId, randomUUID()],
    ];
    for (const [what, who, studioId, deviceId] of cases) {
      const r = await runsOf(who, studioId, deviceId);
      assert.deepEqual([r.status, r.code], [404, "NOT_FOUND"], what);
    }
    const mine = await runsOf(B.owner, B.studioId, B.deviceId);
    assert.equal(mine.status, 200);
    // B's own report and the `datasafe backup` of the set-up (a manual run); nothing of A's.
    assert.deepEqual(
      mine.runs!.map((x) => [x.deviceId, x.trigger, x.restorePointId]),
      [
        [B.deviceId, "scheduled", B.restorePointId],
        [B.deviceId, "manual", B.restorePointId],
      ],
    );
  });

  it("since= limits to runs started from then on, newest first", async () => {
    const t0 = Date.now() - 3 * DAY_MS;
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (let i = 0; i < 3; i++)
      assert.equal((await put(B, ids[i]!, finished(B, new Date(t0 + i * DAY_MS), { restorePointId: null }))).status, 200);
    const r = await runsOf(B.owner, B.studioId, B.deviceId, `?since=${encodeURIComponent(new Date(t0 + DAY_MS / 2).toISOString())}`);
    assert.equal(r.status, 200);
    const got = r.runs!.map((x) => x.id).filter((id) => (ids as string[]).includes(id));
    assert.deepEqual(got, [ids[2], ids[1]]);
    const sorted = r.runs!.map((x) => Date.parse(x.startedAt));
    assert.deepEqual(
      sorted,
      [...sorted].sort((a, b) => b - a),
    );
  });

  it("an unreachable server leaves reports in the outbox, sent in order once it answers", async () => {
    const log = quietLog();
    const state = { ...A.state, server: "http://127.0.0.1:9" } as DeviceState; // discard port: refused
    const reporter = new RunReporter({ state, log });
    const runId = randomUUID();
    await reporter.report(runId, startReport("schedule", new Date(Date.now() - 2000)));
    await reporter.report(runId, finished(A, new Date(Date.now() - 2000)));
    assert.equal(reporter.pending, 1, "the end report replaced the unsent start");
    assert.ok(log.lines.includes("run report failed: will send it again"));
    state.server = server.url;
    await reporter.flush();
    assert.equal(reporter.pending, 0);
    const r = await runsOf(A.owner, A.studioId, A.deviceId);
    assert.equal(r.runs!.find((x) => x.id === runId)?.result, "success");
  });

  it("runs started more than 400 days ago are swept, younger ones kept", async () => {
    const old = randomUUID();
    const young = randomUUID();
    for (const id of [old, young])
      assert.equal(
        (await put(A, id, finished(A, new Date(Date.now() - (RUN_HISTORY_DAYS - 2) * DAY_MS), { restorePointId: null }))).status,
        200,
      );
    // Both started 398 days ago; the old one is moved 3 days further back (the API refuses such a start).
    await db.query(
      `UPDATE "DeviceRun" SET "startedAt" = "startedAt" - interval '3 days', "finishedAt" = "finishedAt" - interval '3 days' WHERE id = $1`,
      [old],
    );
    const count = async (id: string) =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "DeviceRun" WHERE id = $1`, [id])).rows[0]!.n;
    await waitFor("the old run to be swept", async () => (await count(old)) === 0, 30_000);
    assert.equal(await count(young), 1, "a run younger than the history's length is kept");
  });
});
