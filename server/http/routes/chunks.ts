// Chunks: dedup query, upload through the API (the body is the chunk object, Content-Type
// application/octet-stream, optional X-Content-SHA256), download. With S3, clients move the bytes
// straight to and from the bucket instead (routes/direct-chunks.ts); these routes remain for the
// local directory store, for repairs and for PCs that cannot reach the bucket.
// Devices are append-only: there is no route to delete or replace a chunk.
import { Router, type RequestHandler } from "express";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { absentIds } from "../../services/absent-ids.ts";
import { openChunk, storeChunk } from "../../services/chunks.ts";
import { device } from "../middleware/auth.ts";
import { chunkBody, releaseChunkBody } from "../middleware/chunk-body.ts";
import { chunkIdHex, MAX_CHUNK_OBJECT_BYTES, missingBody } from "../schemas.ts";

const sha256Header = /^[0-9a-f]{64}$/;

/** `uploads`: the upload limiter (middleware/upload-limit.ts) shared with the pack routes. */
export function chunkRoutes(ctx: Ctx, uploads: RequestHandler): Router {
  const r = Router();
  r.post("/chunks/missing", async (req, res) => {
    const { ids } = missingBody.parse(req.body);
    const missing = await absentIds(ctx, device(res).studioId, ids.map((h) => Buffer.from(h, "hex")));
    res.json({ missing: missing.map((m) => m.toString("hex")) });
  });

  r.put(
    "/chunks/:id",
    uploads,
    (req, _res, next) => (chunkIdHex.safeParse(req.params.id).success ? next() : next(errors.validation("chunk id must be 64 lowercase hex characters"))),
    chunkBody(MAX_CHUNK_OBJECT_BYTES),
    async (req, res) => {
      let result;
      try {
        const claimed = req.get("x-content-sha256");
        if (claimed !== undefined && !sha256Header.test(claimed)) throw errors.validation("X-Content-SHA256 must be 64 hex characters");
        result = await storeChunk(ctx, {
          studioId: device(res).studioId,
          id: Buffer.from(req.params.id as string, "hex"),
          data: req.body as Buffer,
          sha256: claimed ? Buffer.from(claimed, "hex") : null,
        });
      } finally {
        releaseChunkBody(req); // stored or refused: nothing reads the body any more
      }
      res.status(result.stored ? 201 : 200).json({ id: req.params.id, size: result.size, stored: result.stored, alreadyStored: !result.stored });
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
