// Caps chunk uploads in flight, per process and per device, so many uploaders cannot push the
// API past its memory bound (each upload may buffer one chunk, at most ~4 MiB). Beyond the cap
// the client gets 429 with Retry-After and backs off; nothing queues up in memory here.
import type { RequestHandler } from "express";
import { errors } from "../../errors.ts";
import { device } from "./auth.ts";

export function limitUploads(opts: { perProcess: number; perDevice: number }): RequestHandler {
  let total = 0;
  const perDevice = new Map<string, number>();
  return (req, res, next) => {
    const id = device(res).deviceId;
    const mine = perDevice.get(id) ?? 0;
    if (total >= opts.perProcess || mine >= opts.perDevice) throw errors.busy(1);
    total++;
    perDevice.set(id, mine + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      total--;
      const left = (perDevice.get(id) ?? 1) - 1;
      if (left <= 0) perDevice.delete(id);
      else perDevice.set(id, left);
    };
    res.on("finish", release);
    res.on("close", release);
    next();
  };
}
