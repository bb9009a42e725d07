// Alerts tests: a studio built through the services (owners as users and members, devices,
// heartbeats and runs as the agent reports them, restore points as the commit stores them, with
// the ManualClock's times), and a real HTTP receiver for webhooks on loopback.
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import { recordRun } from "../../server/services/device-runs.ts";
import { recordHeartbeat } from "../../server/services/heartbeats.ts";

export const HOUR = 3_600_000;

export async function makeStudio(ctx: Ctx, name: string, owners: string[]): Promise<string> {
  // Created at the test clock's now (the column's default is the database's time): the daily
  // digest counts days from it.
  const studio = await ctx.db.studio.create({ data: { name, ownerEmail: owners[0]!, createdAt: ctx.clock.now() } });
  for (const email of owners) {
    const u = await ctx.db.user.upsert({ where: { email }, create: { email }, update: {} });
    await ctx.db.studioMember.create({ data: { studioId: studio.id, userId: u.id } });
  }
  return studio.id;
}

/** A device enrolled at the clock's now. */
export async function makeDevice(ctx: Ctx, studioId: string, name: string): Promise<{ studioId: string; deviceId: string }> {
  const d = await ctx.db.device.create({
    data: { studioId, name, signPublicKey: "test", certificate: {}, createdAt: ctx.clock.now() },
  });
  return { studioId, deviceId: d.id };
}

/** A committed restore point at the clock's now (the row the commit writes). */
export async function commitAt(ctx: Ctx, who: { studioId: string; deviceId: string }): Promise<string> {
  const id = randomUUID();
  const ref = randomBytes(32);
  await ctx.db.restorePoint.create({
    data: {
      id,
      studioId: who.studioId,
      deviceId: who.deviceId,
      createdAt: ctx.clock.now(),
      files: 3,
      bytes: 300n,
      rootChunkId: ref,
      refs: ref,
      refCount: 1,
    },
  });
  return id;
}

/** The agent's heartbeat: idle, last run (default now, ok), next run one period (default 24 h) after it. */
export async function heartbeat(
  ctx: Ctx,
  who: { studioId: string; deviceId: string },
  o: { periodMs?: number; lastResult?: "ok" | "failed" | null; lastRunAt?: Date; nextRunAt?: Date } = {},
): Promise<void> {
  const lastRunAt = o.lastRunAt ?? ctx.clock.now();
  const nextRunAt = o.nextRunAt ?? new Date(lastRunAt.getTime() + (o.periodMs ?? 24 * HOUR));
  const result = o.lastResult === undefined ? "ok" : o.lastResult;
  await recordHeartbeat(ctx, who, {
    agentVersion: "1.0.0",
    os: "linux",
    state: "idle",
    nextRunAt: nextRunAt.toISOString(),
    lastRun: result
      ? { at: lastRunAt.toISOString(), result, errorCode: result === "failed" ? "SOURCE_UNREADABLE" : null, restorePointId: null }
      : null,
    lastSuccessAt: null,
  });
}

/** A finished run as the agent reports it, started a minute before the clock's now. */
export async function run(
  ctx: Ctx,
  who: { studioId: string; deviceId: string },
  result: "success" | "failed",
  restorePointId: string | null = null,
) {
  const now = ctx.clock.now();
  await recordRun(
    ctx,
    who,
    randomUUID(),
    {
      trigger: "scheduled",
      startedAt: new Date(now.getTime() - 60_000).toISOString(),
      finishedAt: now.toISOString(),
      result,
      errorCode: result === "failed" ? "SOURCE_UNREADABLE" : null,
      restorePointId,
      files: null,
      bytesRead: null,
      bytesUploaded: null,
      skipped: null,
    },
    now,
  );
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1: records every request; answers `status` (changeable). */
export async function webhookReceiver(): Promise<{ url: string; received: Received[]; status: { code: number }; close(): Promise<void> }> {
  const received: Received[] = [];
  const status = { code: 200 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status.code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/datasafe`,
    received,
    status,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const at = (clock: ManualClock, ms: number) => new Date(clock.now().getTime() + ms);
