// Caps chunk uploads in flight, per process and per device, so many uploaders cannot push the
// API past its memory bound. A request over the cap waits briefly for a slot, its body unread
// (TCP backpressure keeps it off our heap); if none frees up in time, or too many already wait,
// the client gets 429 with Retry-After and backs off. Waiting beats rejecting at once: retries
// would cost the clients whole seconds.
//
// The per-process cap is a memory bound: a byte budget of `perProcess` chunks of
// MAX_CHUNK_OBJECT_BYTES (~4 MiB), counted by each request's declared Content-Length (a request
// without one counts as the largest body, a relayed pack of ~8 MiB). Relayed chunks (~1 MiB on
// average) fill it several times over: an upload spends most of its time waiting on the store
// (fsync, S3), not on memory. A pack larger than the whole budget runs alone. The count is
// capped too (2 x perProcess), so a flood of tiny uploads cannot start unbounded work. Chunk and
// pack routes share one limiter (app.ts).
//
// A route that streams its body into the store as it arrives (a relayed pack on the local store)
// holds at most STREAMED_UPLOAD_BYTES of it at a time, and is counted as that: its uploads are
// bounded by the count, and spend their time writing rather than waiting for room.
//
// Relay downloads (GET /v1/chunks/:id) get a limiter of their own with the same rules (issue 15:
// a stolen credential must not tie up the API reading chunks): each holds at most one chunk, so
// each counts as the largest one, and one device has at most `perDevice` in flight. An owner's
// restore in the browser (GET /v1/studios/:studioId/chunks/:id) shares that budget, counted per
// person as a device is.
import type { Request, RequestHandler, Response } from "express";
import { errors } from "../../errors.ts";
import { metrics } from "../../metrics.ts";
import { MAX_CHUNK_OBJECT_BYTES, MAX_PACK_BYTES, MAX_PACK_TABLE_BYTES } from "../../../protocol/limits.ts";
import { device } from "./auth.ts";

export interface UploadLimits {
  /** Uploads of the largest chunk the process buffers at once (the byte budget, in chunks). */
  perProcess: number;
  perDevice: number;
  /** How long a request may wait for a slot. */
  maxWaitMs?: number;
  /** How many requests may wait at once. */
  maxWaiting?: number;
}

interface Waiter {
  deviceId: string;
  bytes: number;
  grant: () => void;
}

/** Uploads in flight per process beyond the byte budget's own bound: this many per `perProcess`. */
export const UPLOADS_PER_BUDGET_CHUNK = 2;
/** The largest body of a limited route: a relayed pack with its table. */
const MAX_BODY_BYTES = MAX_PACK_BYTES + MAX_PACK_TABLE_BYTES;
/**
 * What a streamed upload holds at most: the store's two write batches (local-stream-write.ts), the pieces
 * read ahead (body-pieces.ts) and the table.
 */
export const STREAMED_UPLOAD_BYTES = 3 * 1024 * 1024;

/** One budget, two ways of counting an upload against it. */
export interface UploadLimiter {
  /** For routes that read the whole body into memory: counted by its Content-Length. */
  buffered: RequestHandler;
  /** For routes that pass the body on as it arrives: counted as STREAMED_UPLOAD_BYTES. */
  streamed: RequestHandler;
}

export function limitUploads(limits: UploadLimits): UploadLimiter {
  const limit = createLimiter(limits, () => metrics.uploadsBusy.inc());
  return {
    buffered: limit((req) => {
      const declared = Number(req.headers["content-length"]);
      // An oversized body is refused by the upload parser before it is read; it needs no room here.
      return Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, MAX_BODY_BYTES) : MAX_BODY_BYTES;
    }),
    streamed: limit(() => STREAMED_UPLOAD_BYTES),
  };
}

/** The limiter of relay downloads: a budget of its own, so downloads never starve uploads. */
export function limitDownloads(limits: UploadLimits): RequestHandler {
  return createLimiter(limits, () => undefined)(() => MAX_CHUNK_OBJECT_BYTES);
}

/** Whom a request's room is counted against: its device, or the person signed in (owner restore). */
function holderOf(res: Response): string {
  const d = device(res);
  if (d) return d.deviceId;
  return `user:${(res.locals.user as { userId: string }).userId}`;
}

/** One budget: `limit(sizeOf)` is a middleware counting each request as `sizeOf(req)` bytes. */
function createLimiter(limits: UploadLimits, onBusy: () => void): (sizeOf: (req: Request) => number) => RequestHandler {
  const budget = new UploadBudget(limits);
  return (sizeOf) => async (req, res, next) => {
    const id = holderOf(res);
    const size = sizeOf(req);
    if (!(await budget.admit(id, size))) {
      onBusy();
      throw errors.busy(1);
    }
    releaseOnce(res, () => budget.release(id, size));
    next();
  };
}

/** The room an answer holds is given back once, when it is sent or its connection closes. */
function releaseOnce(res: Response, release: () => void): void {
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    release();
  };
  res.on("finish", done);
  res.on("close", done);
}

/** Uploads in flight (count, bytes, per device) and the requests waiting for room, in arrival order. */
class UploadBudget {
  readonly #maxWaitMs: number;
  readonly #maxWaiting: number;
  readonly #maxBytes: number;
  readonly #maxCount: number;
  readonly #perDevice = new Map<string, number>();
  readonly #waiting: Waiter[] = [];
  #total = 0;
  #bytes = 0;

  constructor(private readonly limits: UploadLimits) {
    this.#maxWaitMs = limits.maxWaitMs ?? 5000;
    this.#maxWaiting = limits.maxWaiting ?? 256;
    this.#maxBytes = limits.perProcess * MAX_CHUNK_OBJECT_BYTES;
    this.#maxCount = limits.perProcess * UPLOADS_PER_BUDGET_CHUNK;
  }

  /** Takes room for the upload now, or after waiting in line; false when the line is full or the wait timed out. */
  async admit(id: string, size: number): Promise<boolean> {
    if (this.#fitsDevice(id) && this.#fitsProcess(size) && !this.#waiting.some((w) => this.#fitsDevice(w.deviceId))) {
      this.#take(id, size);
      return true;
    }
    if (this.#waiting.length >= this.#maxWaiting) return false;
    return this.#wait(id, size);
  }

  release(id: string, size: number): void {
    this.#total--;
    this.#bytes -= size;
    const left = (this.#perDevice.get(id) ?? 1) - 1;
    if (left <= 0) this.#perDevice.delete(id);
    else this.#perDevice.set(id, left);
    this.#grantWaiters();
  }

  /** In line until `release` grants room (true) or maxWaitMs pass (false). */
  #wait(id: string, size: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const w: Waiter = {
        deviceId: id,
        bytes: size,
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(w), 1);
        resolve(false);
      }, this.#maxWaitMs);
      this.#waiting.push(w);
    });
  }

  /**
   * Hands freed room to waiters in arrival order, skipping devices still at their own cap; the
   * first that does not fit the process budget stops the round, so small uploads cannot keep
   * overtaking a large one.
   */
  #grantWaiters(): void {
    for (let i = 0; i < this.#waiting.length;) {
      const w = this.#waiting[i]!;
      if (!this.#fitsDevice(w.deviceId)) {
        i++;
        continue;
      }
      if (!this.#fitsProcess(w.bytes)) break;
      this.#waiting.splice(i, 1);
      this.#take(w.deviceId, w.bytes);
      w.grant();
    }
  }

  /** A body larger than the whole budget (a pack, with a budget of fewer than 3 chunks) runs alone. */
  #fitsProcess(size: number): boolean {
    return this.#total < this.#maxCount && (this.#bytes + size <= this.#maxBytes || this.#total === 0);
  }

  #fitsDevice(id: string): boolean {
    return (this.#perDevice.get(id) ?? 0) < this.limits.perDevice;
  }

  #take(id: string, size: number): void {
    this.#total++;
    this.#bytes += size;
    this.#perDevice.set(id, (this.#perDevice.get(id) ?? 0) + 1);
  }
}
