// Packs: several sealed chunks in one object (services/packs.ts), the only way chunk bytes go up.
//   PUT  /packs             body: {"sessionId", "chunks": table} as JSON (X-Pack-Table-Length
//                           bytes), then the pack's bytes (relayed: streamed into a store that
//                           writes streams, else buffered) -> {results: UploadedResult[]}
//   POST /packs/upload-url  {size, sha256, tableSha256, sessionId} -> UploadGrant (recorded)
//   POST /packs/uploaded    {key, sha256, chunks}  -> {results: UploadedResult[]}, only for a key
//                           granted to the calling device
import type { Response } from "express";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { canStreamPacks, completePackUpload, grantPackUpload, storePack, storePackStream } from "../../services/packs.ts";
import { device } from "../middleware/auth.ts";
import { bodyPieces, splitHead } from "../middleware/body-pieces.ts";
import { chunkBody, declaredLength, releaseChunkBody } from "../middleware/chunk-body.ts";
import type { UploadLimiter } from "../middleware/upload-limit.ts";
import { type PackTable, packUploadedBody, packUploadUrlBody, relayedPackTable } from "../../../protocol/schemas.ts";
import { MAX_PACK_BYTES, MAX_PACK_TABLE_BYTES } from "../../../protocol/limits.ts";
import type { Mount } from "../route-table.ts";

/** X-Pack-Table-Length: the length of the table at the start of a relayed pack's body. */
function tableLength(header: string | undefined, bodyLength: number): number {
  const n = Number(header);
  if (!/^\d{1,7}$/.test(header ?? "") || n < 2 || n > MAX_PACK_TABLE_BYTES || n > bodyLength) {
    throw errors.validation(`X-Pack-Table-Length must give the length of the table at the body's start (2-${MAX_PACK_TABLE_BYTES} bytes)`);
  }
  return n;
}

function parseTable(bytes: Buffer): { sessionId: string; chunks: PackTable } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw errors.validation("the pack table is not valid JSON");
  }
  return relayedPackTable.parse(json);
}

/** The table at the start of a relayed pack's body, and the pack's bytes after it. */
function splitBody(body: Buffer, header: string | undefined): { head: { sessionId: string; chunks: PackTable }; data: Buffer } {
  const n = tableLength(header, body.length);
  return { head: parseTable(body.subarray(0, n)), data: body.subarray(n) };
}

/** The authenticated device (the principal), never an id taken from the request. */
function who(res: Response): { studioId: string; deviceId: string } {
  const d = device(res);
  return { studioId: d.studioId, deviceId: d.deviceId };
}

/** `uploads`: the upload limiter (app.ts). */
export function packRoutes(mount: Mount, ctx: Ctx, uploads: UploadLimiter): void {
  const maxBody = MAX_PACK_BYTES + MAX_PACK_TABLE_BYTES;
  if (canStreamPacks(ctx)) {
    // Into the store as it arrives: the limiter counts what the route holds, not the body.
    mount("packPut", uploads.streamed, async (req, res) => {
      const length = declaredLength(req, maxBody, "pack");
      const pieces = bodyPieces(req);
      try {
        const n = tableLength(req.get("x-pack-table-length"), length);
        const { head, rest } = await splitHead(pieces, n);
        const { sessionId, chunks } = parseTable(head);
        const size = chunks.reduce((sum, c) => sum + c.size, 0);
        if (n + size !== length) throw errors.validation(`the table describes ${size} bytes, the pack has ${length - n}`);
        res.json({ results: await storePackStream(ctx, { ...who(res), sessionId }, chunks, rest) });
      } finally {
        await pieces.return(); // refused: the rest of the body is dropped, the answer still goes
      }
    });
  } else {
    mount("packPut", uploads.buffered, chunkBody(maxBody, "pack"), async (req, res) => {
      try {
        const { head, data } = splitBody(req.body as Buffer, req.get("x-pack-table-length"));
        res.json({ results: await storePack(ctx, { ...who(res), sessionId: head.sessionId }, head.chunks, data) });
      } finally {
        releaseChunkBody(req); // stored or refused: nothing reads the body any more
      }
    });
  }
  mount("packUploadUrl", async (req, res) => {
    const body = packUploadUrlBody.parse(req.body);
    res.json(
      await grantPackUpload(
        ctx,
        { ...who(res), sessionId: body.sessionId },
        {
          size: body.size,
          sha256: Buffer.from(body.sha256, "hex"),
          tableSha256: Buffer.from(body.tableSha256, "hex"),
        },
      ),
    );
  });
  mount("packUploaded", async (req, res) => {
    const report = packUploadedBody.parse(req.body);
    res.json({ results: await completePackUpload(ctx, who(res), report) });
  });
}
