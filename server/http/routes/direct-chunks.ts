// Direct transfer of chunk bytes (services/direct-chunks.ts): presigned URLs to the blob store.
//   POST /chunks/:id/upload-url {size, sha256} -> UploadGrant
//   POST /chunks/:id/uploaded   {key, sha256} -> {id, stored, size}
//   POST /chunks/download-urls  {ids}         -> DownloadUrls
import { Router } from "express";
import type { Ctx } from "../../context.ts";
import { completeUpload, downloadUrls, grantUpload } from "../../services/direct-chunks.ts";
import { device } from "../middleware/auth.ts";
import { chunkIdHex, downloadUrlsBody, uploadedBody, uploadUrlBody } from "../schemas.ts";

export function directChunkRoutes(ctx: Ctx): Router {
  const r = Router();
  r.post("/chunks/download-urls", async (req, res) => {
    const { ids } = downloadUrlsBody.parse(req.body);
    res.json(await downloadUrls(ctx, device(res).studioId, ids));
  });
  r.post("/chunks/:id/upload-url", async (req, res) => {
    const id = Buffer.from(chunkIdHex.parse(req.params.id), "hex");
    const body = uploadUrlBody.parse(req.body);
    res.json(await grantUpload(ctx, device(res).studioId, id, { size: body.size, sha256: Buffer.from(body.sha256, "hex") }));
  });
  r.post("/chunks/:id/uploaded", async (req, res) => {
    const id = chunkIdHex.parse(req.params.id);
    const body = uploadedBody.parse(req.body);
    const out = await completeUpload(ctx, device(res).studioId, Buffer.from(id, "hex"), { key: body.key, sha256: Buffer.from(body.sha256, "hex") });
    res.status(out.stored ? 201 : 200).json({ id, ...out });
  });
  return r;
}
