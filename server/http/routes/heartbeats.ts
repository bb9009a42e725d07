// Agent heartbeats (POST /v1/heartbeats) and the studio's devices with their latest one
// (GET /v1/devices). Device-authenticated like every /v1 route but enrollment.
import type { Ctx } from "../../context.ts";
import { listDevices, recordHeartbeat } from "../../services/heartbeats.ts";
import { device } from "../middleware/auth.ts";
import { presentDevice } from "../presenters.ts";
import { heartbeatBody } from "../../../protocol/schemas.ts";
import type { Mount } from "../route-table.ts";

export function heartbeatRoutes(mount: Mount, ctx: Ctx): void {
  mount("heartbeat", async (req, res) => {
    const { receivedAt } = await recordHeartbeat(ctx, device(res), heartbeatBody.parse(req.body));
    res.json({ receivedAt: receivedAt.toISOString() });
  });

  mount("deviceList", async (_req, res) => {
    const rows = await listDevices(ctx, device(res).studioId);
    res.json({ devices: rows.map(presentDevice) });
  });
}
