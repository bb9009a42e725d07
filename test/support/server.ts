// A real DataSafe server for tests: its own Postgres database (created, migrated, dropped), the
// local Redis, and either a local blob directory or the S3 server from the environment.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { ROOT, spawnNode } from "./process.ts";
import { s3ConfigFromEnv } from "./s3.ts";

export { ROOT };
/** The V8 flags `npm start` uses (package.json): tests run the server as production does. */
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=2"];
const ADMIN_DB = `postgresql://${os.userInfo().username}@127.0.0.1:5432/postgres`;

export interface TestServer {
  url: string;
  databaseUrl: string;
  env: NodeJS.ProcessEnv;
  dir: string;
  proc: ChildProcess;
  logs(): string;
  /** Kills the server (SIGKILL) if still running and starts it again, with `env` changes. */
  restart(env?: Record<string, string | undefined>): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_DB });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
}

/** `role`: "all" (API + worker, the default) or "api" (no worker: jobs wait in Redis). */
export async function startServer(opts: { s3?: boolean; env?: Record<string, string>; role?: "all" | "api" } = {}): Promise<TestServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "datasafe-test-"));
  const dbName = `datasafe_test_${randomBytes(5).toString("hex")}`;
  const databaseUrl = `postgresql://${os.userInfo().username}@127.0.0.1:5432/${dbName}`;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    // Its own job queues: servers sharing the Redis (tests in parallel, a bench next to a test
    // run) would otherwise take each other's integrity jobs, and a restore point would stay pending.
    REDIS_PREFIX: `t-${randomBytes(4).toString("hex")}`,
    DATA_DIR: path.join(dir, "data"),
    LOG_LEVEL: "warn",
    // Tests enroll many PCs from one address; the rate-limit tests set their own limit.
    AUTH_RATE_LIMIT_PER_MINUTE: "1000",
    ...opts.env,
  };
  if (opts.s3) {
    const s3 = s3ConfigFromEnv();
    if (!s3) throw new Error("S3 requested but S3_ENDPOINT is not set");
    Object.assign(env, {
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: `e2e-${randomBytes(4).toString("hex")}`,
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: "true",
    });
  }
  let earlier = ""; // the output of the runs before a restart
  let running: ReturnType<typeof spawnNode> | undefined;
  let proc!: ChildProcess;
  const output = () => earlier + (running?.output() ?? "");
  const url = `http://127.0.0.1:${port}`;
  const launch = async () => {
    earlier = output();
    running = spawnNode([...SERVER_NODE_FLAGS, "--import", "tsx", "server/main.ts", opts.role ?? "all"], { env });
    proc = running.proc;
    await waitReady(url, proc, output);
  };
  await launch();
  const server: TestServer = {
    url,
    databaseUrl,
    env,
    dir,
    get proc() {
      return proc;
    },
    logs: output,
    async restart(changes = {}) {
      await killAndWait(proc, "SIGKILL");
      Object.assign(env, changes);
      for (const [k, v] of Object.entries(changes)) if (v === undefined) delete env[k];
      await launch();
    },
    async stop() {
      await killAndWait(proc);
      await dropDatabase(dbName).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function killAndWait(proc: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill(signal);
  // The server bounds its own graceful shutdown; never let a test hang on it regardless.
  const force = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(force);
}

async function waitReady(url: string, proc: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}):\n${logs()}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready in time:\n${logs()}`);
}
