// Integrity as the studio sees it: the studio summary (latest verified restore point, damaged
// count, open alerts) and the signed report of a client verify. Device-authenticated.
import type { Ctx } from "../../context.ts";
import { recordClientVerification } from "../../services/integrity/client-report.ts";
import { studioSummary, type StudioSummary } from "../../services/integrity/studio-summary.ts";
import { clientReportBody, type StudioSummaryView } from "../../../protocol/integrity-schemas.ts";
import { device } from "../middleware/auth.ts";
import { restorePointIdParam } from "../../../protocol/schemas.ts";
import type { Mount } from "../route-table.ts";

export function integrityRoutes(mount: Mount, ctx: Ctx): void {
  mount("deviceStudio", async (_req, res) => {
    res.json(presentSummary(await studioSummary(ctx, device(res).studioId)));
  });

  mount("clientVerification", async (req, res) => {
    const id = restorePointIdParam.parse(req.params.id);
    res.json(await recordClientVerification(ctx, device(res), id, clientReportBody.parse(req.body)));
  });
}

function presentSummary(s: StudioSummary): StudioSummaryView {
  return {
    studioId: s.studio.id,
    name: s.studio.name,
    restorePoints: s.restorePoints,
    latest: s.latest && { id: s.latest.id, createdAt: s.latest.createdAt.toISOString(), health: s.latest.health },
    latestVerified: s.latestVerified && {
      id: s.latestVerified.id,
      createdAt: s.latestVerified.createdAt.toISOString(),
      verifiedAt: s.latestVerified.verifiedAt?.toISOString() ?? null,
    },
    damagedRestorePoints: s.damaged,
    pendingRestorePoints: s.pending,
    openAlerts: s.openAlerts.map((a) => ({
      id: a.id,
      kind: a.kind,
      restorePointId: a.restorePointId,
      createdAt: a.createdAt.toISOString(),
      details: a.details,
    })),
  };
}
