// Cron schedules (croner): five fields (minute precision) or six (seconds first), evaluated in
// the PC's local time zone. The agent only asks "when is the next slot after T?": it keeps its
// own timer so that missed slots, catch-up and "never overlapping" stay in one place (agent.ts).
import { Cron } from "croner";

export const DEFAULT_SCHEDULE = "0 2 * * *"; // daily at 02:00, when the studio is closed

/** Returns null when the expression is valid, else the reason (for a config error message). */
export function cronProblem(expr: string): string | null {
  try {
    const c = new Cron(expr, { paused: true });
    if (!c.nextRun(new Date())) return "never fires";
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The first slot strictly after `after`, or null if the expression never fires again. */
export function nextSlot(expr: string, after: Date): Date | null {
  return new Cron(expr, { paused: true }).nextRun(after);
}
