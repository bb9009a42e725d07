// Restore in the browser (issue 21): the owner portal's page reads the studio's wrapped keyset and
// its chunks' stored bytes through these two routes, as a device does through /v1/keyset and
// /v1/chunks/:id. The route table admits owners only, and middleware/user-auth.ts has already
// checked that the owner belongs to `:studioId` (else 404): every read is scoped by it, so a chunk
// of another studio answers 404 like a chunk that does not exist. The server hands out opaque
// bytes: the passphrase and the keys stay in the owner's browser.
import type { RequestHandler } from "express";
import { chunkIdHex } from "../../../protocol/schemas.ts";
import { studioIdParams } from "../../../protocol/people.ts";
import type { Ctx } from "../../context.ts";
import { openChunk } from "../../services/chunks.ts";
import { getKeyset } from "../../services/enrollment.ts";
import type { Mount } from "../route-table.ts";

/** `downloads`: the relay-download limiter, shared with the devices' downloads (middleware/upload-limit.ts). */
export function ownerRestoreRoutes(mount: Mount, ctx: Ctx, downloads: RequestHandler): void {
  mount("studioKeyset", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    res.set("Cache-Control", "no-store").json(await getKeyset(ctx, studioId));
  });

  mount("studioChunkGet", downloads, async (req, res) => {
    const { studioId } = studioIdParams.parse({ studioId: req.params.studioId });
    const id = Buffer.from(chunkIdHex.parse(req.params.id), "hex");
    const { size, stream } = await openChunk(ctx, studioId, id);
    res.setHeader("Content-Type", "application/octet-stream");
    res.setHeader("Content-Length", String(size));
    res.setHeader("Cache-Control", "private, no-store");
    stream.on("error", (err) => res.destroy(err));
    stream.pipe(res);
  });
}
