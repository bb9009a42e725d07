// Verification survives Redis losing everything and a worker dying mid-job (real Postgres, Redis
// and server processes). This file uses its own Redis database index (11) and a unique BullMQ
// prefix, and empties that one database with FLUSHDB: a FLUSHALL would also wipe the queues of
// test files running at the same time against database 0.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import { redisConnection } from "../../server/jobs/queues.ts";
import { newStudio, Pc } from "../support/cli.ts";
import { authOf, healthById, startWorkerProcess, waitFor } from "../support/integrity.ts";
import { startServer, type TestServer } from "../support/server.ts";

const REDIS_DB = 11;

describe("integrity jobs: Redis loss and worker death", () => {
  let server: TestServer;
  let pc: Pc;
  let auth: Record<string, string>;
  let queue: Queue;
  let src: string;
  const prefix = `t-${randomBytes(4).toString("hex")}`;
  const redisUrl = `redis://127.0.0.1:6379/${REDIS_DB}`;

  const backup = async () => {
    await writeFile(path.join(src, `f-${randomBytes(4).toString("hex")}.bin`), randomBytes(50_000));
    const b = await pc.run(["backup", src]);
    assert.equal(b.code, 0, b.stderr);
    return String(b.json.restorePointId);
  };
  // FLUSHDB on this file's own database index only (see the header).
  const flushdb = async () => ((await queue.client) as unknown as { flushdb(): Promise<string> }).flushdb();
  const health = async (id: string) => (await healthById(server, auth)).get(id)?.health;
  const allVerified = (ids: string[]) =>
    waitFor(`${ids.length} restore points verified`, async () => {
      const h = await healthById(server, auth);
      return ids.every((id) => h.get(id)?.health === "verified");
    });

  before(async () => {
    // The API alone: jobs wait in Redis until a test starts a worker process.
    server = await startServer({
      role: "api",
      env: { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, SWEEP_INTERVAL_SECONDS: "0.5", JOB_LOCK_SECONDS: "2" },
    });
    queue = new Queue("integrity", { connection: redisConnection(redisUrl), prefix });
    const studio = await newStudio(server);
    pc = await Pc.create(server);
    assert.equal((await pc.run(["enroll", "--token", await studio.token()])).code, 0);
    auth = await authOf(pc);
    src = path.join(server.dir, "src");
    await mkdir(src);
  });
  after(async () => {
    await queue?.close();
    await server?.stop();
  });

  it("a Redis flush before and during verification loses nothing: the sweeper re-creates the jobs from Postgres", async () => {
    const first = [await backup(), await backup()];
    assert.ok(((await queue.getJobCounts("waiting")).waiting ?? 0) >= 2, "the commits queued their verification");
    await flushdb();
    assert.equal((await queue.getJobCounts("waiting")).waiting, 0, "Redis lost the jobs");
    assert.equal(await health(first[0]!), "pending");

    const worker = startWorkerProcess(server);
    try {
      await allVerified(first);
      const more = [await backup(), await backup()];
      await flushdb(); // while the worker is at work on them
      await allVerified(more);
    } finally {
      worker.proc.kill("SIGTERM");
      await worker.exited;
    }
  });

  it("a worker killed mid-job (kill -9) leaves the job to another worker, which finishes it", async () => {
    const id = await backup();
    const doomed = startWorkerProcess(server, { DATASAFE_FAULT_POINT: "verify-before-verdict" });
    assert.equal(await doomed.exited, "SIGKILL", doomed.logs());
    assert.equal(await health(id), "pending", "the killed worker recorded no verdict");
    const job = await queue.getJob(`verify-${id}-g0`);
    assert.equal(await job?.getState(), "active", "the job is still held by the dead worker's lock");

    const rescuer = startWorkerProcess(server);
    try {
      await allVerified([id]);
    } finally {
      rescuer.proc.kill("SIGTERM");
      await rescuer.exited;
    }
  });
});
