// Packs: several sealed chunks in one object (services/packs.ts).
//   PUT  /packs             body: {"chunks": table} as JSON (X-Pack-Table-Length bytes), then
//                           the pack's bytes (relayed) -> {results: UploadedResult[]}
//   POST /packs/upload-url  {size, sha256}           -> UploadGrant
//   POST /packs/uploaded    {key, sha256, chunks}    -> {results: UploadedResult[]}
import { Router, type RequestHandler } from "express";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { completePackUpload, grantPackUpload, storePack } from "../../services/packs.ts";
import { device } from "../middleware/auth.ts";
import { chunkBody, releaseChunkBody } from "../middleware/chunk-body.ts";
import { MAX_PACK_BYTES, MAX_PACK_TABLE_BYTES, packUploadedBody, packUploadUrlBody, relayedPackTable } from "../schemas.ts";

/** The table at the start of a relayed pack's body, and the pack's bytes after it. */
function splitBody(body: Buffer, header: string | undefined): { table: ReturnType<typeof relayedPackTable.parse>; data: Buffer } {
  const n = Number(header);
  if (!/^\d{1,7}$/.test(header ?? "") || n < 2 || n > MAX_PACK_TABLE_BYTES || n > body.length) {
    throw errors.validation(`X-Pack-Table-Length must give the length of the table at the body's start (2-${MAX_PACK_TABLE_BYTES} bytes)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body.subarray(0, n).toString("utf8"));
  } catch {
    throw errors.validation("the pack table is not valid JSON");
  }
  return { table: relayedPackTable.parse(json), data: body.subarray(n) };
}

/** `uploads`: the upload limiter shared with the chunk routes (app.ts). */
export function packRoutes(ctx: Ctx, uploads: RequestHandler): Router {
  const r = Router();
  r.put("/packs", uploads, chunkBody(MAX_PACK_BYTES + MAX_PACK_TABLE_BYTES, "pack"), async (req, res) => {
    try {
      const { table, data } = splitBody(req.body as Buffer, req.get("x-pack-table-length"));
      res.json({ results: await storePack(ctx, device(res).studioId, table.chunks, data) });
    } finally {
      releaseChunkBody(req); // stored or refused: nothing reads the body any more
    }
  });
  r.post("/packs/upload-url", async (req, res) => {
    const body = packUploadUrlBody.parse(req.body);
    res.json(await grantPackUpload(ctx, device(res).studioId, { size: body.size, sha256: Buffer.from(body.sha256, "hex") }));
  });
  r.post("/packs/uploaded", async (req, res) => {
    const report = packUploadedBody.parse(req.body);
    res.json({ results: await completePackUpload(ctx, device(res).studioId, report) });
  });
  return r;
}
