// A multer storage engine that hands each uploaded chunk to the chunk service, which writes it to
// the BlobStore. A chunk is small by contract (MAX_CHUNK_OBJECT_BYTES), so it is buffered whole,
// and multer's fileSize limit stops a larger body before it is buffered.
import type { Request } from "express";
import multer, { type StorageEngine } from "multer";
import { MAX_CHUNK_OBJECT_BYTES } from "./schemas.ts";

export type ChunkSink = (req: Request, data: Buffer) => Promise<{ stored: boolean; size: number }>;

class ChunkStorage implements StorageEngine {
  constructor(private readonly sink: ChunkSink) {}

  _handleFile(req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    const parts: Buffer[] = [];
    file.stream.on("data", (b: Buffer) => parts.push(b));
    file.stream.on("error", cb);
    file.stream.on("end", () => {
      this.sink(req, Buffer.concat(parts)).then(
        (result) => cb(null, { size: result.size, filename: result.stored ? "stored" : "present" }),
        cb,
      );
    });
  }

  _removeFile(_req: Request, _file: Express.Multer.File, cb: (error: Error | null) => void): void {
    cb(null); // nothing to undo: a stored chunk is complete and content-addressed
  }
}

export function chunkUpload(sink: ChunkSink) {
  return multer({
    storage: new ChunkStorage(sink),
    limits: { fileSize: MAX_CHUNK_OBJECT_BYTES, files: 1, fields: 2, parts: 3, fieldSize: 256 },
  }).single("chunk");
}
