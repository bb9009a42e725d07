// Named crash points for the kill -9 tests (issue: resume anywhere). DATASAFE_FAULT_POINT=NAME
// kills this process with SIGKILL the first time NAME is reached; NAME:N the N-th time. Unset in
// normal use, where faultPoint() is one string comparison.
import { readFaultPoint } from "./config.ts";

const spec = readFaultPoint();
const [name, nth] = spec ? [spec.split(":")[0], Number(spec.split(":")[1] ?? 1)] : [undefined, 0];
let hits = 0;

export function faultPoint(point: string): void {
  if (point !== name) return;
  if (++hits >= nth) process.kill(process.pid, "SIGKILL");
}
