// Named crash points for the kill -9 tests: with DATASAFE_FAULT_POINT=NAME (or NAME:N) the
// process kills itself with SIGKILL the first (N-th) time it reaches NAME, exactly like a power
// cut at that line. Unset in production, where a fault point is one comparison.
import type { Config } from "./config.ts";

let hits = 0;

export function faultPoint(config: Pick<Config, "faultPoint">, point: string): void {
  const spec = config.faultPoint;
  if (!spec) return;
  const [name, nth] = spec.split(":");
  if (name !== point) return;
  if (++hits >= Number(nth ?? 1)) process.kill(process.pid, "SIGKILL");
}
