// Jobs "alerts-evaluate" and "alerts-deliver" (services/alerts/): added by the sweeper once per
// sweep interval under a deterministic id, so a Redis flush loses nothing (the next sweep adds
// them again and every state lives in Postgres) and several workers add one job. Both are
// idempotent; two running at once is safe (openKey, the planning claim, SKIP LOCKED claims).
import type { Ctx } from "../../context.ts";
import { deliverDue } from "../../services/alerts/deliver.ts";
import { evaluateAlerts } from "../../services/alerts/evaluate.ts";
import { defaultTransports, type Transports } from "../../services/alerts/transports.ts";
import { queueProbe, type AlertsSlotJob, type IntegrityQueue } from "../queues.ts";

/** `queue`: the worker's own, read for stuck jobs (an operator alert). */
export async function evaluateAlertsTask(ctx: Ctx, _job: AlertsSlotJob, queue?: IntegrityQueue) {
  const r = await evaluateAlerts(ctx, queue ? { queue: queueProbe(queue) } : {});
  const changed = Object.values(r.kinds).some((k) => k.raised || k.resolved) || r.escalated || r.reraised || r.planned.rows || r.digests;
  if (changed) ctx.log.info(r, "alerts evaluated");
  return r;
}

export async function deliverAlertsTask(ctx: Ctx, _job: AlertsSlotJob, transports: Transports = defaultTransports(ctx.config)) {
  const r = await deliverDue(ctx, transports, ctx.clock.now());
  if (r.sent || r.retry || r.failed) ctx.log.info(r, "alert deliveries");
  return r;
}
