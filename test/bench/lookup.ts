// Support's "latest restore point of studio X" at scale: a year of nightly restore points for
// many studios seeded into the bench server's database, then the query timed two ways:
//   - server time: the API's own service call (services/restore-points.ts getRestorePoint with
//     "latest": one query, newest by createdAt desc with the device name joined) in this process;
//   - over HTTP: GET /v1/restore-points/latest as a device of that studio (auth included),
// plus the list route (GET /v1/restore-points, 100 newest) of a studio with a full year, and
// support's studio summary (GET /v1/studios/:studioId, issue 19): its service call
// (services/studio-desk.ts: two raw queries in parallel) and presenter, in this process.
import type { Ctx } from "../../server/context.ts";
import { createDb } from "../../server/db.ts";
import { presentStudioDesk } from "../../server/http/presenters.ts";
import { getRestorePoint } from "../../server/services/restore-points.ts";
import { studioDesk } from "../../server/services/studio-desk.ts";
import type { TestServer } from "../support/server.ts";
import { Rng } from "./prng.ts";
import { deviceToken, latestPlan, seedRestorePoints, seedStudios } from "./seed.ts";
import { percentile } from "./stats.ts";

export interface LookupOptions {
  studios: number;
  days: number;
  queries: number;
  jwtSecret: string;
}

export interface Latency {
  p50: number;
  p99: number;
  n: number;
}

export interface LookupReport {
  studios: number;
  days: number;
  rows: number;
  seedMs: number;
  serverTime: Latency;
  http: Latency;
  list: Latency;
  /** GET /v1/studios/:studioId's service and presenter (server time). */
  summary: Latency;
  plan: string;
}

const lat = (xs: number[]): Latency => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), n: xs.length });

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

export async function measureLookup(server: TestServer, o: LookupOptions): Promise<LookupReport> {
  const devices = await seedStudios(server.databaseUrl, "lookup", o.studios);
  const seeded = await seedRestorePoints(server.databaseUrl, "lookup", o.studios, o.days);
  const rng = new Rng("lookup-queries");
  const pick = () => devices[rng.int(devices.length)]!;

  // Only `db` is used by getRestorePoint; the rest of Ctx belongs to a running server.
  const db = createDb(server.databaseUrl);
  const ctx = { db } as unknown as Ctx;
  try {
    await timed(20, () => getRestorePoint(ctx, pick().studioId, "latest")); // warm the pool and plan cache
    const serverTime = await timed(o.queries, () => getRestorePoint(ctx, pick().studioId, "latest"));
    const get = async (token: string, route: string) => {
      const res = await fetch(`${server.url}/v1/${route}`, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`GET /v1/${route}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    // Tokens are signed before the clock starts: the client's signing is not server time.
    const tokens = Array.from({ length: o.queries }, () => deviceToken(o.jwtSecret, pick()));
    // Warm the HTTP path as the service call is warmed above: the server process has only just
    // started, and its first requests pay one-off costs (route and query code not yet optimised,
    // Prisma's first compile of the device query, new pool connections; the very first one took
    // 135 ms) that a server which has been up for days does not. Other devices, untimed.
    for (let i = 0; i < 20; i++) {
      const warm = deviceToken(o.jwtSecret, pick());
      await get(warm, "restore-points/latest");
      await get(warm, "restore-points");
    }
    const http = await timed(o.queries, (i) => get(tokens[i]!, "restore-points/latest"));
    const list = await timed(Math.min(o.queries, 300), (i) => get(tokens[i]!, "restore-points"));
    const summaryOf = async (studioId: string) => presentStudioDesk(await studioDesk(ctx, studioId), new Date());
    await timed(20, () => summaryOf(pick().studioId));
    const summary = await timed(o.queries, () => summaryOf(pick().studioId));
    return {
      studios: o.studios,
      days: o.days,
      rows: seeded.rows,
      seedMs: seeded.ms,
      serverTime: lat(serverTime),
      http: lat(http),
      list: lat(list),
      summary: lat(summary),
      plan: await latestPlan(server.databaseUrl, pick().studioId),
    };
  } finally {
    await db.$disconnect();
  }
}
