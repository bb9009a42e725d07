// One evaluation pass (jobs/tasks/alerts.ts runs it once per sweep interval): every registered
// evaluator raises and resolves its alerts from Postgres state at ctx.clock's now (the operator
// ones also from the worker's queue, `env`), alerts open too long are escalated, alerts whose
// snooze ended are sent again, and the open alerts not planned yet are written to the outbox.
// Idempotent: a second pass at the same state changes nothing.
import type { Ctx } from "../../context.ts";
import "./evaluate-devices.ts";
import "./evaluate-verification.ts";
import "./evaluate-studio-signals.ts";
import "./evaluate-operations.ts";
import { alertEvaluators, type EvaluateEnv } from "./kinds.ts";
import { escalate, planDeliveries } from "./plan-deliveries.ts";
import { reraiseSnoozed } from "./snooze.ts";
import { writeDigests } from "./digest.ts";

export async function evaluateAlerts(ctx: Ctx, env: EvaluateEnv = {}) {
  const now = ctx.clock.now();
  const kinds: Record<string, { raised: number; resolved: number }> = {};
  for (const [name, evaluate] of alertEvaluators()) {
    try {
      Object.assign(kinds, await evaluate(ctx, now, env));
    } catch (err) {
      // One broken evaluator must not silence the others; the job still fails so it is retried.
      ctx.log.error({ err, evaluator: name }, "alert evaluator failed");
      throw err;
    }
  }
  const escalated = await escalate(ctx, now);
  const reraised = await reraiseSnoozed(ctx, now);
  const planned = await planDeliveries(ctx, now);
  const digests = await writeDigests(ctx, now);
  return { kinds, escalated, reraised, planned, digests };
}
