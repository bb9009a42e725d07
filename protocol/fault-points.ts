// Named crash points for the kill -9 tests, one mechanism for both programs: with
// DATASAFE_FAULT_POINT=NAME (or NAME:N) the process kills itself with SIGKILL the first (N-th)
// time it reaches NAME, exactly like a power cut at that line. Unset in production, where a fault
// point is one comparison. Here rather than in either program because both programs and the
// tests that set the variable share its form; each program reads the variable with the rest of
// its configuration (server/config.ts, uploader/config.ts) and passes it in.

/** The form of DATASAFE_FAULT_POINT: NAME or NAME:N. */
export const FAULT_POINT_SPEC = /^[a-z-]+(:\d+)?$/;

let hits = 0;

/** Kills this process if `spec` names `point` and this is its N-th hit (first by default). */
export function faultPoint(spec: string | undefined, point: string): void {
  if (!spec) return;
  const [name, nth] = spec.split(":");
  if (name !== point) return;
  if (++hits >= Number(nth ?? 1)) process.kill(process.pid, "SIGKILL");
}
