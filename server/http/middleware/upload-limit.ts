// Caps chunk uploads in flight, per process and per device, so many uploaders cannot push the
// API past its memory bound (each upload may buffer one chunk, at most ~4 MiB). A request over
// the cap waits briefly for a slot, its body unread (TCP backpressure keeps it off our heap);
// if none frees up in time, or too many already wait, the client gets 429 with Retry-After and
// backs off. Waiting beats rejecting at once: retries would cost the clients whole seconds.
import type { RequestHandler } from "express";
import { errors } from "../../errors.ts";
import { device } from "./auth.ts";

export interface UploadLimits {
  perProcess: number;
  perDevice: number;
  /** How long a request may wait for a slot. */
  maxWaitMs?: number;
  /** How many requests may wait at once. */
  maxWaiting?: number;
}

interface Waiter {
  deviceId: string;
  grant: () => void;
}

export function limitUploads(limits: UploadLimits): RequestHandler {
  const maxWaitMs = limits.maxWaitMs ?? 5000;
  const maxWaiting = limits.maxWaiting ?? 256;
  let total = 0;
  const perDevice = new Map<string, number>();
  const waiting: Waiter[] = [];

  const fits = (id: string) => total < limits.perProcess && (perDevice.get(id) ?? 0) < limits.perDevice;
  const take = (id: string) => {
    total++;
    perDevice.set(id, (perDevice.get(id) ?? 0) + 1);
  };
  const release = (id: string) => {
    total--;
    const left = (perDevice.get(id) ?? 1) - 1;
    if (left <= 0) perDevice.delete(id);
    else perDevice.set(id, left);
    // Hand freed slots to waiters in arrival order (skipping devices still at their own cap).
    for (let i = 0; i < waiting.length && total < limits.perProcess; ) {
      const w = waiting[i]!;
      if (fits(w.deviceId)) {
        waiting.splice(i, 1);
        take(w.deviceId);
        w.grant();
      } else i++;
    }
  };

  return async (_req, res, next) => {
    const id = device(res).deviceId;
    if (fits(id)) take(id);
    else {
      if (waiting.length >= maxWaiting) throw errors.busy(1);
      const granted = await new Promise<boolean>((resolve) => {
        const w: Waiter = { deviceId: id, grant: () => { clearTimeout(timer); resolve(true); } };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(w), 1);
          resolve(false);
        }, maxWaitMs);
        waiting.push(w);
      });
      if (!granted) throw errors.busy(1);
    }
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      release(id);
    };
    res.on("finish", done);
    res.on("close", done);
    next();
  };
}
