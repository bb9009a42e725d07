// Chunks: dedup query, upload (multipart field "chunk", optional X-Content-SHA256), download.
// Devices are append-only: there is no route to delete or replace a chunk.
import { Router } from "express";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { findMissingChunks, openChunk, storeChunk } from "../../services/chunks.ts";
import { chunkUpload } from "../chunk-upload.ts";
import { device } from "../middleware/auth.ts";
import { limitUploads } from "../middleware/upload-limit.ts";
import { chunkIdHex, missingBody } from "../schemas.ts";

const sha256Header = /^[0-9a-f]{64}$/;

export function chunkRoutes(ctx: Ctx): Router {
  const r = Router();
  r.post("/chunks/missing", async (req, res) => {
    const { ids } = missingBody.parse(req.body);
    const missing = await findMissingChunks(ctx, device(res).studioId, ids.map((h) => Buffer.from(h, "hex")));
    res.json({ missing: missing.map((m) => m.toString("hex")) });
  });

  const upload = chunkUpload(async (req, data) => {
    const claimed = req.get("x-content-sha256");
    if (claimed !== undefined && !sha256Header.test(claimed)) throw errors.validation("X-Content-SHA256 must be 64 hex characters");
    return storeChunk(ctx, {
      studioId: device(req.res!).studioId,
      id: Buffer.from(chunkIdHex.parse(req.params.id), "hex"),
      data,
      sha256: claimed ? Buffer.from(claimed, "hex") : null,
    });
  });
  r.put(
    "/chunks/:id",
    limitUploads({ perProcess: ctx.config.maxUploadsInFlight, perDevice: ctx.config.maxUploadsPerDevice }),
    (req, _res, next) => (chunkIdHex.safeParse(req.params.id).success ? next() : next(errors.validation("chunk id must be 64 lowercase hex characters"))),
    upload,
    (req, res) => {
      if (!req.file) throw errors.validation('multipart field "chunk" is required');
      const stored = req.file.filename === "stored";
      res.status(stored ? 201 : 200).json({ id: req.params.id, size: req.file.size, stored, alreadyStored: !stored });
    },
  );

  r.get("/chunks/:id", async (req, res) => {
    const id = Buffer.from(chunkIdHex.parse(req.params.id), "hex");
    const { size, stream } = await openChunk(ctx, device(res).studioId, id);
    res.setHeader("Content-Type", "application/octet-stream");
    res.setHeader("Content-Length", String(size));
    stream.on("error", (err) => res.destroy(err));
    stream.pipe(res);
  });
  return r;
}
