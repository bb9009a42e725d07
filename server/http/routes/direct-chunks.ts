// Direct transfer of chunk bytes (services/direct-chunks.ts): presigned URLs to the blob store.
//   POST /chunks/:id/upload-url {size, sha256} -> UploadGrant
//   POST /chunks/uploaded       {uploads: [{id, key, sha256}]} -> {results: UploadedResult[]}
//   POST /chunks/download-urls  {ids}         -> DownloadUrls
import { Router } from "express";
import type { Ctx } from "../../context.ts";
import { completeUploads, downloadUrls, grantUpload } from "../../services/direct-chunks.ts";
import { device } from "../middleware/auth.ts";
import { chunkIdHex, downloadUrlsBody, uploadedBody, uploadUrlBody } from "../schemas.ts";

export function directChunkRoutes(ctx: Ctx): Router {
  const r = Router();
  r.post("/chunks/download-urls", async (req, res) => {
    const { ids, ranges } = downloadUrlsBody.parse(req.body);
    res.json(await downloadUrls(ctx, device(res).studioId, ids, { ranges }));
  });
  r.post("/chunks/:id/upload-url", async (req, res) => {
    const id = Buffer.from(chunkIdHex.parse(req.params.id), "hex");
    const body = uploadUrlBody.parse(req.body);
    res.json(await grantUpload(ctx, device(res).studioId, id, { size: body.size, sha256: Buffer.from(body.sha256, "hex") }));
  });
  r.post("/chunks/uploaded", async (req, res) => {
    const { uploads } = uploadedBody.parse(req.body);
    res.json({ results: await completeUploads(ctx, device(res).studioId, uploads) });
  });
  return r;
}
