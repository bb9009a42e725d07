// Run history end to end (issue 19): a real `datasafe run` agent whose scheduled run fails (its
// source is gone) and then succeeds on retry, and a `datasafe backup` by hand; the studio's owner
// reads each of them from the server's run history with its trigger, result, error code and
// restore point.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunView } from "../../protocol/runs.ts";
import { loadDeviceState } from "../../uploader/state.ts";
import { AgentProc, AS_USER, enrolledAgentPc, eventually } from "../support/agent.ts";
import { newStudio } from "../support/cli.ts";
import { api, owner, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("run history from a real agent", { timeout: 120_000 }, () => {
  let server: TestServer;
  let studioId: string;
  let token: () => Promise<string>;
  let studioOwner: Person;

  before(async () => {
    server = await startServer();
    ({ studioId, token } = await newStudio(server));
    studioOwner = await owner(server, studioId, "owner@agent-runs.test");
  });
  after(async () => server?.stop());

  async function runsOf(deviceId: string): Promise<RunView[]> {
    const r = await api(server, "GET", `/v1/studios/${studioId}/devices/${deviceId}/runs`, { token: studioOwner.accessToken });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.runs as RunView[];
  }

  it("a failed scheduled run, its successful retry and a backup by hand are in the device's history", async () => {
    const src = path.join(server.dir, "Kundenaufträge");
    await mkdir(src, { recursive: true });
    await writeFile(path.join(src, "auftrag.bak"), randomBytes(50_000));
    const pc = await enrolledAgentPc(
      server,
      await token(),
      "front-desk",
      [
        ["retry.baseSeconds", "3"],
        ["retry.maxSeconds", "3"],
      ],
      [[src, false]],
      8000, // far enough ahead for the rename and the agent's start
    );
    const { deviceId } = await loadDeviceState(pc.home);
    await rename(src, `${src} (weg)`); // the folder is gone when the scheduled run starts

    const agent = AgentProc.start(pc, AS_USER);
    let done;
    try {
      const failed = await agent.waitFor((l) => l.msg === "backup failed: will retry", 30_000, "the failed first attempt");
      const failedRun = await eventually("the failed run in the history", 15_000, async () =>
        (await runsOf(deviceId)).find((r) => r.result === "failed"),
      );
      assert.equal(failedRun.trigger, "scheduled");
      assert.equal(failedRun.errorCode, failed.errorCode, "the agent's error code, never its message");
      assert.equal(failedRun.startedAt, failed.startedAt);
      await rename(`${src} (weg)`, src);
      done = await agent.waitFor((l) => l.msg === "backup finished", 30_000, "the retried run");
    } finally {
      assert.equal(await agent.stop(), 0, agent.dump());
    }
    const runs = await eventually("the successful run in the history", 15_000, async () => {
      const all = await runsOf(deviceId);
      return all.some((r) => r.result === "success") ? all : null;
    });
    const attempts = agent.lines.filter((l) => l.msg === "backup started").length;
    assert.equal(runs.length, attempts, "one run in the history per attempt, none twice");
    assert.ok(
      runs.every((r) => r.trigger === "scheduled" && r.finishedAt !== null),
      "every attempt ended and was reported so",
    );
    const ok = runs[0]!;
    assert.deepEqual(
      [ok.result, ok.restorePointId, ok.errorCode],
      ["success", done.restorePointId, null],
      "the newest is the successful retry",
    );

    const manual = await pc.run(["backup", src]);
    assert.equal(manual.code, 0, manual.stderr);
    const after = await runsOf(deviceId);
    assert.equal(after.length, runs.length + 1);
    assert.deepEqual([after[0]!.trigger, after[0]!.result, after[0]!.restorePointId], ["manual", "success", manual.json.restorePointId]);

    const summary = await api(server, "GET", `/v1/studios/${studioId}`, { token: studioOwner.accessToken });
    const dev = (summary.body.devices as Array<{ id: string; lastRun: { id: string; result: string } | null }>).find(
      (d) => d.id === deviceId,
    );
    assert.equal(dev?.lastRun?.id, after[0]!.id);
  });
});
