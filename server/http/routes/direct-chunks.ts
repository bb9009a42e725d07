// Direct transfer of chunk bytes (services/direct-chunks.ts): presigned GET URLs to the blob store.
//   POST /chunks/download-urls  {ids} -> DownloadUrls
// Uploads go in packs (routes/packs.ts).
import type { Ctx } from "../../context.ts";
import { downloadUrls } from "../../services/direct-chunks.ts";
import { device } from "../middleware/auth.ts";
import { downloadUrlsBody } from "../../../protocol/schemas.ts";
import type { Mount } from "../route-table.ts";

export function directChunkRoutes(mount: Mount, ctx: Ctx): void {
  mount("chunkDownloadUrls", async (req, res) => {
    const { ids } = downloadUrlsBody.parse(req.body);
    res.json(await downloadUrls(ctx, device(res).studioId, ids));
  });
}
