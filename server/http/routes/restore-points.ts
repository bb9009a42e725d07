// Restore points: reference pages, commit, list, get (by id or `latest`), all in the caller's studio:
// every service below is given the device's studio and looks ids up within it only.
import express from "express";
import { z } from "zod";
import type { Ctx } from "../../context.ts";
import { commitRestorePoint } from "../../services/commit-restore-point.ts";
import { putRefPage } from "../../services/ref-pages.ts";
import { getRestorePoint, listRestorePoints } from "../../services/restore-points.ts";
import { decisionsById } from "../../services/retention/studio-plan.ts";
import { device } from "../middleware/auth.ts";
import { presentRestorePoint } from "../presenters.ts";
import { commitBody, listQuery, restorePointIdParam } from "../../../protocol/schemas.ts";
import { MAX_REF_PAGES, MAX_REFS_PER_PAGE } from "../../../protocol/limits.ts";
import type { Mount } from "../route-table.ts";

const pageParam = z.coerce
  .number()
  .int()
  .min(0)
  .max(MAX_REF_PAGES - 1);
const idOrLatest = z.union([z.literal("latest"), restorePointIdParam]);

export function restorePointRoutes(mount: Mount, ctx: Ctx): void {
  mount("refPagePut", express.raw({ type: "application/octet-stream", limit: MAX_REFS_PER_PAGE * 32 }), async (req, res) => {
    const id = restorePointIdParam.parse(req.params.id);
    const page = pageParam.parse(req.params.page);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await putRefPage(ctx, device(res), id, page, body);
    res.status(204).end();
  });

  mount("restorePointCommit", async (req, res) => {
    const id = restorePointIdParam.parse(req.params.id);
    const result = await commitRestorePoint(ctx, device(res), id, commitBody.parse(req.body));
    const row = await getRestorePoint(ctx, device(res).studioId, id);
    res.status(result.created ? 201 : 200).json(presentRestorePoint(row));
  });

  mount("restorePointList", async (req, res) => {
    const q = listQuery.parse(req.query);
    const rows = await listRestorePoints(ctx, device(res).studioId, { deviceName: q.device, limit: q.limit });
    const retention = await decisionsById(ctx, device(res).studioId);
    res.json({ restorePoints: rows.map((r) => presentRestorePoint(r, retention.get(r.id))) });
  });

  mount("restorePointGet", async (req, res) => {
    const row = await getRestorePoint(ctx, device(res).studioId, idOrLatest.parse(req.params.id));
    res.json(presentRestorePoint(row));
  });
}
