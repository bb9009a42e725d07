// Database failures answer in the error vocabulary (server/db-errors.ts, applied by
// to-app-error.ts): a unique violation 409 ALREADY_EXISTS, a lost or unreachable database 503
// DATABASE_UNAVAILABLE with Retry-After, never 500. Real Postgres, real Prisma errors, the real
// error handler; the routes are this test's own, each making Prisma fail one way.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { after, before, describe, it } from "node:test";
import express from "express";
import pg from "pg";
import { createDb, prepareDatabase, type Db } from "../../server/db.ts";
import { errorHandler } from "../../server/http/error-handler.ts";
import { createLogger } from "../../server/logger.ts";
import { dropDatabase, freePort } from "../support/server.ts";

const dbName = `datasafe_test_${randomBytes(5).toString("hex")}`;
const databaseUrl = `postgresql://${os.userInfo().username}@127.0.0.1:5432/${dbName}`;

/**
 * Terminates every backend of the test database but the caller's (what a Postgres restart does
 * to a pool). pg_stat_activity is read as of a snapshot kept for the caller's transaction: the
 * snapshot is cleared first, as the caller holds a lock in an open transaction.
 */
async function terminateOthers(client: pg.Client): Promise<number> {
  await client.query("SELECT pg_stat_clear_snapshot()");
  const r = await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [
    dbName,
  ]);
  return r.rowCount ?? 0;
}

describe("database errors answered in the vocabulary (real Postgres)", () => {
  let db: Db;
  let unreachable: Db;
  let url: string;
  let server: ReturnType<express.Express["listen"]>;
  /** Set by a test: what the next GET /run does with the database. */
  let action: (() => Promise<unknown>) | undefined;

  before(async () => {
    await prepareDatabase(databaseUrl);
    db = createDb(databaseUrl);
    // Nothing listens on a port just freed: the connection is refused.
    unreachable = createDb(`postgresql://${os.userInfo().username}@127.0.0.1:${await freePort()}/${dbName}`);
    const app = express();
    app.get("/run", async (_req, res) => {
      await action!();
      res.json({ ok: true });
    });
    app.use(errorHandler(createLogger("silent", "test")));
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/run`;
  });

  after(async () => {
    await new Promise((r) => server.close(r));
    await db.$disconnect();
    await unreachable.$disconnect();
    await dropDatabase(dbName);
  });

  async function answer(fn: () => Promise<unknown>): Promise<{ status: number; code: string; retryAfter: string | null }> {
    action = fn;
    const res = await fetch(url);
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, code: body.error?.code ?? "", retryAfter: res.headers.get("retry-after") };
  }

  it("a unique violation is 409 ALREADY_EXISTS (model and raw queries)", async () => {
    const id = randomUUID();
    await db.studio.create({ data: { id, name: "first", ownerEmail: "a@example.com" } });
    assert.deepEqual(await answer(() => db.studio.create({ data: { id, name: "second", ownerEmail: "b@example.com" } })), {
      status: 409,
      code: "ALREADY_EXISTS",
      retryAfter: null,
    });
    assert.deepEqual(await answer(() => db.$executeRaw`INSERT INTO "Studio" (id, name, "ownerEmail") VALUES (${id}::uuid, 'x', 'x')`), {
      status: 409,
      code: "ALREADY_EXISTS",
      retryAfter: null,
    });
  });

  it("an unreachable database is 503 DATABASE_UNAVAILABLE with Retry-After", async () => {
    assert.deepEqual(await answer(() => unreachable.studio.findMany()), { status: 503, code: "DATABASE_UNAVAILABLE", retryAfter: "5" });
  });

  it("a connection terminated under a query (pg_terminate_backend) is 503, and the next request works", async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      // A model query held by a lock, then its backend terminated: the adapter's own error, unwrapped.
      await admin.query(`BEGIN; LOCK TABLE "Studio" IN ACCESS EXCLUSIVE MODE`);
      const blocked = answer(() => db.studio.findMany());
      await waitForBlockedQuery(admin);
      assert.ok((await terminateOthers(admin)) >= 1);
      assert.deepEqual(await blocked, { status: 503, code: "DATABASE_UNAVAILABLE", retryAfter: "5" });
      await admin.query("ROLLBACK");
      // A raw query terminated mid-run: Prisma's P2010 around SQLSTATE 57P01.
      const sleeping = answer(() => db.$queryRaw`SELECT 1 AS x FROM pg_sleep(30)`);
      await waitForBlockedQuery(admin);
      assert.ok((await terminateOthers(admin)) >= 1);
      assert.deepEqual(await sleeping, { status: 503, code: "DATABASE_UNAVAILABLE", retryAfter: "5" });
    } finally {
      await admin.end();
    }
    assert.deepEqual(await answer(() => db.studio.count()), { status: 200, code: "", retryAfter: null });
  });

  it("other database errors stay 500 INTERNAL (a bug, not a condition to retry)", async () => {
    assert.deepEqual(await answer(() => db.$queryRaw`SELECT 1 / 0 AS x`), { status: 500, code: "INTERNAL", retryAfter: null });
  });
});

/** Waits until a backend of the test database other than `admin`'s is waiting (lock or sleep). */
async function waitForBlockedQuery(admin: pg.Client): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await admin.query("SELECT pg_stat_clear_snapshot()");
    const r = await admin.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND wait_event IS NOT NULL`,
      [dbName],
    );
    if (r.rowCount) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("the query never started waiting");
}
