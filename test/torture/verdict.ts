// The verdict of a scenario that ends with verify-world: its report entry, with every figure that
// must be zero and was not named in `failures`.
import { fiveXxOf, type ScenarioReport } from "./report.ts";
import type { WorldCheck } from "./world.ts";

/** The report entry of a scenario that ends with verify-world. */
export function finish(
  name: string,
  t0: number,
  o: {
    load: string;
    faults: Record<string, number>;
    status: ScenarioReport["status"];
    timeToRecoverMs: number | null;
    check: WorldCheck;
    details?: Record<string, unknown>;
    failures?: string[];
  },
): ScenarioReport {
  const failures = [...(o.failures ?? [])];
  const c = o.check;
  if (c.dataLost.length) failures.push(`data lost in ${c.dataLost.length} restore points`);
  if (c.badChunks.length) failures.push(`${c.badChunks.length} referenced chunks missing or corrupt`);
  if (c.orphans.length) failures.push(`${c.orphans.length} orphaned objects`);
  if (c.restored !== c.restorePoints) failures.push(`${c.restorePoints - c.restored} restore points did not restore`);
  const status500 = o.status.byStatus["500"] ?? 0;
  if (status500) failures.push(`${status500} answers 500`);
  if (o.status.unavailableWithoutRetryAfter) failures.push(`${o.status.unavailableWithoutRetryAfter} answers 503 without Retry-After`);
  return {
    name,
    load: o.load,
    faults: o.faults,
    dataLost: c.dataLost.length,
    missingChunks: c.badChunks.length,
    orphans: c.orphans.length,
    fiveXx: fiveXxOf(o.status),
    status: o.status,
    timeToRecoverMs: o.timeToRecoverMs,
    details: {
      ...o.details,
      restorePoints: c.restorePoints,
      restored: c.restored,
      unreferencedAwaitingGc: c.unreferencedAwaitingGc,
      dataLostList: c.dataLost,
      badChunks: c.badChunks.slice(0, 20),
      orphanKeys: c.orphans.slice(0, 20),
    },
    failures,
    durationMs: Date.now() - t0,
  };
}
