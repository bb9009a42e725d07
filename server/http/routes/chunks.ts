// Chunks: the dedup query and download through the API. Chunk bytes go up in packs only
// (routes/packs.ts); with S3, clients read them straight from the bucket (routes/direct-chunks.ts)
// and this download remains for the local directory store and PCs that cannot reach the bucket.
// Devices are append-only: there is no route to delete or replace a chunk.
import type { RequestHandler } from "express";
import type { Ctx } from "../../context.ts";
import { absentIds } from "../../services/absent-ids.ts";
import { openChunk } from "../../services/chunks.ts";
import { device } from "../middleware/auth.ts";
import { chunkIdHex, missingBody } from "../../../protocol/schemas.ts";
import type { Mount } from "../route-table.ts";

/** `downloads`: the relay-download limiter (middleware/upload-limit.ts, limitDownloads). */
export function chunkRoutes(mount: Mount, ctx: Ctx, downloads: RequestHandler): void {
  // `sessionId`: the garbage collector holds a lease per session on the chunks answered present
  // (docs/garbage-collection.md).
  mount("chunksMissing", async (req, res) => {
    const { ids, sessionId } = missingBody.parse(req.body);
    const missing = await absentIds(
      ctx,
      device(res).studioId,
      ids.map((h) => Buffer.from(h, "hex")),
      sessionId,
    );
    res.json({ missing: missing.map((m) => m.toString("hex")) });
  });

  mount("chunkGet", downloads, async (req, res) => {
    const id = Buffer.from(chunkIdHex.parse(req.params.id), "hex");
    const { size, stream } = await openChunk(ctx, device(res).studioId, id);
    res.setHeader("Content-Type", "application/octet-stream");
    res.setHeader("Content-Length", String(size));
    stream.on("error", (err) => res.destroy(err));
    stream.pipe(res);
  });
}
