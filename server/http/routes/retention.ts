// Retention for owners, support and admins (protocol/routes.ts gives each route its audience;
// middleware/user-auth.ts has scoped an owner to `:studioId`, else 404). Services own the rules.
import { studioIdParams } from "../../../protocol/people.ts";
import {
  closeSignalBody,
  deletePointBody,
  retentionEventsQuery,
  retentionPolicy,
  retentionPreviewBody,
  studioPointParams,
  studioSignalParams,
  type RetentionPolicyValues,
} from "../../../protocol/retention.ts";
import type { Ctx } from "../../context.ts";
import { actOnPoint, closeSignal, type PointState } from "../../services/retention/point-actions.ts";
import { readPolicy, writePolicy, type StoredPolicy } from "../../services/retention/policy.ts";
import { listRetentionEvents, retentionState } from "../../services/retention/retention-state.ts";
import { studioPlan } from "../../services/retention/studio-plan.ts";
import { actorOf, user } from "../middleware/user-auth.ts";
import { presentDecision } from "../retention-presenters.ts";
import type { Mount } from "../route-table.ts";

export function retentionRoutes(mount: Mount, ctx: Ctx): void {
  const policyView = (p: StoredPolicy) => ({
    policy: p.policy,
    minimums: ctx.config.retention.minimums,
    maxLabelledPerWeek: ctx.config.retention.maxLabelledPerWeek,
    isDefault: p.isDefault,
    updatedAt: p.updatedAt?.toISOString() ?? null,
    updatedBy: p.updatedBy,
  });
  const stateView = async (studioId: string) => {
    const s = await retentionState(ctx, studioId);
    return {
      paused: s.paused,
      why: s.why,
      lastAppliedAt: s.lastAppliedAt?.toISOString() ?? null,
      signals: s.signals.map((x) => ({
        ...x,
        since: x.since.toISOString(),
        openedAt: x.openedAt.toISOString(),
        closedAt: x.closedAt?.toISOString() ?? null,
      })),
    };
  };
  const pointView = (p: PointState) => ({
    restorePointId: p.restorePointId,
    deletedAt: p.deletedAt?.toISOString() ?? null,
    purgeAt: p.purgeAt?.toISOString() ?? null,
    heldAt: p.heldAt?.toISOString() ?? null,
    changed: p.changed,
  });

  mount("retentionPolicyGet", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    res.json(policyView(await readPolicy(ctx, studioId)));
  });

  mount("retentionPolicyPut", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const policy: RetentionPolicyValues = retentionPolicy.parse(req.body);
    res.json(policyView(await writePolicy(ctx, actorOf(req, user(res)), studioId, policy)));
  });

  mount("retentionPreview", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const { policy } = retentionPreviewBody.parse(req.body);
    const plan = await studioPlan(ctx, studioId, { policy });
    const points = plan.decisions.map(presentDecision).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    res.json({
      paused: plan.paused,
      keep: points.filter((p) => p.decision === "keep").length,
      expire: points.filter((p) => p.decision === "expire").length,
      points,
    });
  });

  mount("retentionState", async (req, res) => {
    res.json(await stateView(studioIdParams.parse(req.params).studioId));
  });

  mount("retentionEvents", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const { limit } = retentionEventsQuery.parse(req.query);
    const rows = await listRetentionEvents(ctx, studioId, limit);
    res.json({
      events: rows.map((r) => ({
        id: r.id,
        restorePointId: r.restorePointId,
        deviceId: r.deviceId,
        pointCreatedAt: r.pointCreatedAt.toISOString(),
        label: r.label,
        at: r.at.toISOString(),
        action: r.action,
        by: r.by,
        reason: r.reason,
      })),
    });
  });

  mount("retentionSignalClose", async (req, res) => {
    const { studioId, signalId } = studioSignalParams.parse(req.params);
    const { note } = closeSignalBody.parse(req.body);
    await closeSignal(ctx, actorOf(req, user(res)), { studioId, signalId, note });
    res.json(await stateView(studioId));
  });

  mount("restorePointDelete", async (req, res) => {
    const { studioId, restorePointId } = studioPointParams.parse(req.params);
    const { reason } = deletePointBody.parse(req.body ?? {});
    const r = await actOnPoint(ctx, actorOf(req, user(res)), { studioId, restorePointId, action: "delete", ...(reason ? { reason } : {}) });
    res.json(pointView(r));
  });
  for (const [name, action] of [
    ["restorePointUndelete", "undo"],
    ["restorePointHold", "hold"],
    ["restorePointRelease", "release"],
  ] as const) {
    mount(name, async (req, res) => {
      const { studioId, restorePointId } = studioPointParams.parse(req.params);
      res.json(pointView(await actOnPoint(ctx, actorOf(req, user(res)), { studioId, restorePointId, action })));
    });
  }
}
