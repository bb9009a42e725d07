// A studio as its owners and staff see it: summary, restore points, devices, audit log, and the
// two things they may do: issue an enrollment token, revoke a device. The route table admits
// owner, support and admin; middleware/user-auth.ts has already checked that an owner belongs to
// `:studioId` (else 404) and recorded staff's looks, so every handler here is scoped by it.
import {
  auditQuery,
  enrollmentTokenBody,
  revokeDeviceBody,
  studioDeviceParams,
  studioIdParams,
  studioRestorePointsQuery,
} from "../../../protocol/people.ts";
import type { Ctx } from "../../context.ts";
import { listAudit } from "../../services/audit.ts";
import { revokeDevice } from "../../services/device-admin.ts";
import { listDevices } from "../../services/heartbeats.ts";
import { listRestorePoints } from "../../services/restore-points.ts";
import { decisionsById } from "../../services/retention/studio-plan.ts";
import { studioDesk } from "../../services/studio-desk.ts";
import { createEnrollmentToken } from "../../services/studios.ts";
import { actorOf, user } from "../middleware/user-auth.ts";
import { presentDevice, presentRestorePoint, presentStudioDesk } from "../presenters.ts";
import type { Mount } from "../route-table.ts";

export function studioRoutes(mount: Mount, ctx: Ctx): void {
  mount("studioSummary", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    res.json(presentStudioDesk(await studioDesk(ctx, studioId), new Date()));
  });

  mount("studioRestorePoints", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const { limit } = studioRestorePointsQuery.parse(req.query);
    const retention = await decisionsById(ctx, studioId);
    res.json({
      restorePoints: (await listRestorePoints(ctx, studioId, { limit })).map((r) => presentRestorePoint(r, retention.get(r.id))),
    });
  });

  mount("studioDevices", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    res.json({ devices: (await listDevices(ctx, studioId)).map(presentDevice) });
  });

  mount("studioAudit", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const q = auditQuery.parse(req.query);
    res.json({ events: await listAudit(ctx, { studioId, limit: q.limit, ...(q.since ? { since: new Date(q.since) } : {}) }) });
  });

  mount("studioEnrollmentToken", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const { ttlSeconds } = enrollmentTokenBody.parse(req.body ?? {});
    res.status(201).json(await createEnrollmentToken(ctx, actorOf(req, user(res)), { studioId, ttlMs: ttlSeconds * 1000 }));
  });

  mount("studioDeviceRevoke", async (req, res) => {
    const { studioId, deviceId } = studioDeviceParams.parse(req.params);
    const { reason } = revokeDeviceBody.parse(req.body ?? {});
    const r = await revokeDevice(ctx, actorOf(req, user(res)), { studioId, deviceId, reason });
    res.json({ deviceId: r.deviceId, revokedAt: r.revokedAt, alreadyRevoked: r.alreadyRevoked });
  });
}
