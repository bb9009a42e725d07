// Run history: the agent reports its runs (PUT /v1/runs/:runId, device audience: always into its
// own studio and device), owners and staff read a device's (the studio scoping and staff's audit
// are done by middleware/user-auth.ts; the device must be the studio's, else 404).
import { deviceRunsQuery, runParams, runReportBody } from "../../../protocol/runs.ts";
import { studioDeviceParams } from "../../../protocol/people.ts";
import type { Ctx } from "../../context.ts";
import { listRuns, recordRun } from "../../services/device-runs.ts";
import { device } from "../middleware/auth.ts";
import { presentRun } from "../run-presenters.ts";
import type { Mount } from "../route-table.ts";

export function runRoutes(mount: Mount, ctx: Ctx): void {
  mount("runReport", async (req, res) => {
    const { runId } = runParams.parse(req.params);
    const r = await recordRun(ctx, device(res), runId, runReportBody.parse(req.body));
    res.json({ run: presentRun(r.run), recorded: r.recorded });
  });

  mount("studioDeviceRuns", async (req, res) => {
    const { studioId, deviceId } = studioDeviceParams.parse(req.params);
    const q = deviceRunsQuery.parse(req.query);
    const rows = await listRuns(ctx, studioId, deviceId, { limit: q.limit, ...(q.since ? { since: new Date(q.since) } : {}) });
    res.json({ runs: rows.map(presentRun) });
  });
}
