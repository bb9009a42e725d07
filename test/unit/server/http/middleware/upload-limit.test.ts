import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../../../../../server/errors.ts";
import { MAX_CHUNK_OBJECT_BYTES, MAX_PACK_BYTES } from "../../../../../protocol/limits.ts";
import { limitUploads, STREAMED_UPLOAD_BYTES, UPLOADS_PER_BUDGET_CHUNK } from "../../../../../server/http/middleware/upload-limit.ts";

const MiB = 1024 * 1024;

/** Runs one request through the limiter; resolves "granted" (with a finish()) or the error. */
function request(mw: ReturnType<typeof limitUploads>["buffered"], deviceId: string, contentLength?: number) {
  const res = Object.assign(new EventEmitter(), { locals: { device: { deviceId, studioId: "s", deviceName: "n" } } });
  const req = { headers: contentLength === undefined ? {} : { "content-length": String(contentLength) } };
  let granted = false;
  const outcome = new Promise<"granted" | AppError>((resolve) => {
    const next: NextFunction = () => {
      granted = true;
      resolve("granted");
    };
    (mw(req as Request, res as unknown as Response, next) as unknown as Promise<void>).catch((e: AppError) => resolve(e));
  });
  return { outcome, isGranted: () => granted, finish: () => res.emit("finish") };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("upload in-flight limit", () => {
  it("budgets bytes: perProcess largest chunks, or up to UPLOADS_PER_BUDGET_CHUNK x as many ~1 MiB ones", async () => {
    // maxWaitMs well above a tick on a loaded machine: with 50 ms the waiter below timed out before
    // the slot was freed (3 runs in 5 at a load average of 33 on 2 cores).
    const mw = limitUploads({ perProcess: 2, perDevice: 100, maxWaitMs: 1000 }).buffered;
    const small = Array.from({ length: 2 * UPLOADS_PER_BUDGET_CHUNK }, (_, i) => request(mw, `d${i}`, MiB));
    await tick();
    assert.ok(
      small.every((r) => r.isGranted()),
      "2 x UPLOADS_PER_BUDGET_CHUNK x 1 MiB fit the budget of 2 x ~4 MiB",
    );
    const extra = request(mw, "x", 100);
    await tick();
    assert.equal(extra.isGranted(), false, "the count cap holds even for tiny bodies");
    small[0]!.finish();
    await tick();
    assert.ok(extra.isGranted(), "a freed slot goes to the waiter");
    for (const r of small.slice(1)) r.finish();
    extra.finish();

    const big1 = request(mw, "a", MAX_CHUNK_OBJECT_BYTES);
    const big2 = request(mw, "b", MAX_CHUNK_OBJECT_BYTES);
    await tick();
    assert.ok(big1.isGranted() && big2.isGranted());
    const third = request(mw, "c", MiB);
    assert.ok((await third.outcome) instanceof AppError, "no room within maxWaitMs: 429");
    big1.finish();
    big2.finish();
  });

  it("counts a body without Content-Length as the largest (a relayed pack), which runs alone when over the budget", async () => {
    const mw = limitUploads({ perProcess: 1, perDevice: 100, maxWaitMs: 1000 }).buffered;
    const pack = request(mw, "a", MAX_PACK_BYTES);
    await tick();
    assert.ok(pack.isGranted(), "alone, a body larger than the whole budget runs");
    const unknown = request(mw, "b"); // no Content-Length
    const small = request(mw, "c", 100);
    await tick();
    assert.equal(unknown.isGranted(), false);
    assert.equal(small.isGranted(), false, "waits behind the larger one");
    pack.finish();
    await tick();
    assert.ok(unknown.isGranted());
    assert.equal(small.isGranted(), false, "no room beside a body of the largest size");
    unknown.finish();
    await tick();
    assert.ok(small.isGranted());
    small.finish();
  });

  it("does not let small uploads overtake a waiting large one, and keeps the per-device cap", async () => {
    const mw = limitUploads({ perProcess: 1, perDevice: 2, maxWaitMs: 1000 }).buffered;
    const first = request(mw, "a", 3 * MiB);
    await tick();
    const large = request(mw, "b", 4 * MiB);
    const small = request(mw, "c", 100);
    await tick();
    assert.ok(first.isGranted());
    assert.equal(large.isGranted(), false);
    assert.equal(small.isGranted(), false, "waits behind the large upload although it would fit");
    first.finish();
    await tick();
    assert.ok(large.isGranted());
    large.finish();
    await tick();
    assert.ok(small.isGranted());
    small.finish();

    const perDevice = limitUploads({ perProcess: 2, perDevice: 2, maxWaitMs: 1000 }).buffered;
    const d1 = request(perDevice, "dev", 10);
    const d2 = request(perDevice, "dev", 10);
    const d3 = request(perDevice, "dev", 10);
    const other = request(perDevice, "other", 10);
    await tick();
    assert.ok(d1.isGranted() && d2.isGranted() && other.isGranted());
    assert.equal(d3.isGranted(), false, "perDevice 2");
    d1.finish();
    await tick();
    assert.ok(d3.isGranted());
    for (const r of [d2, d3, other]) r.finish();
  });

  it("counts a streamed upload as what it holds (STREAMED_UPLOAD_BYTES), not its Content-Length, within one budget", async () => {
    const perProcess = 8;
    const limiter = limitUploads({ perProcess, perDevice: 100, maxWaitMs: 1000 });
    const fit = Math.min(perProcess * UPLOADS_PER_BUDGET_CHUNK, Math.floor((perProcess * MAX_CHUNK_OBJECT_BYTES) / STREAMED_UPLOAD_BYTES));
    assert.ok(fit > (perProcess * MAX_CHUNK_OBJECT_BYTES) / MAX_PACK_BYTES, "more streamed packs fit than buffered ones");
    const streamed = Array.from({ length: fit }, (_, i) => request(limiter.streamed, `s${i}`, MAX_PACK_BYTES));
    await tick();
    assert.ok(
      streamed.every((r) => r.isGranted()),
      `${fit} streamed packs of 8 MiB at once`,
    );
    const buffered = request(limiter.buffered, "b", MAX_PACK_BYTES);
    const oneMore = request(limiter.streamed, "s", MAX_PACK_BYTES);
    await tick();
    assert.equal(buffered.isGranted(), false, "the budget is shared: no room for a buffered pack");
    assert.equal(oneMore.isGranted(), false);
    for (const r of streamed) r.finish();
    await tick();
    assert.ok(buffered.isGranted() && oneMore.isGranted());
    buffered.finish();
    oneMore.finish();
  });
});
