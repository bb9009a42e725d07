// What leaves the API of a device's runs (protocol/runs.ts): dates in ISO 8601, sizes as numbers.
import type { RunResult, RunTrigger, RunView } from "../../protocol/runs.ts";
import type { LastRun, RunRow } from "../services/device-runs.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const num = (n: bigint | null) => (n === null ? null : Number(n));

export function presentRun(r: RunRow): RunView {
  return {
    id: r.id,
    deviceId: r.deviceId,
    trigger: r.trigger as RunTrigger,
    startedAt: r.startedAt.toISOString(),
    finishedAt: iso(r.finishedAt),
    result: r.result as RunResult | null,
    errorCode: r.errorCode,
    restorePointId: r.restorePointId,
    files: r.files,
    bytesRead: num(r.bytesRead),
    bytesUploaded: num(r.bytesUploaded),
    skipped: r.skipped,
    receivedAt: r.receivedAt.toISOString(),
  };
}

export function presentLastRun(r: LastRun | undefined) {
  if (!r) return null;
  return {
    id: r.id,
    trigger: r.trigger as RunTrigger,
    startedAt: r.startedAt.toISOString(),
    finishedAt: iso(r.finishedAt),
    result: r.result as RunResult | null,
    errorCode: r.errorCode,
  };
}
