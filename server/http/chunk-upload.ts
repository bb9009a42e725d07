// Reads an uploaded chunk (multipart/form-data, file field "chunk") and hands it to the chunk
// service, which writes it to the BlobStore. A chunk is small by contract (MAX_CHUNK_OBJECT_BYTES),
// so the body is buffered whole: a declared Content-Length over the bound is refused before a byte
// is read, and a body without one is cut off as soon as it passes the bound.
//
// Why not multer/busboy: they searched every byte for the boundary in JavaScript and re-chunked
// the body through a stream per part (~1 ms of API CPU per 1 MiB chunk under ingest load), then we
// copied the pieces together. Here the body is copied once into one buffer (its declared length),
// the boundary is found with Buffer.indexOf (native), and the chunk is a view of that buffer.
// What is accepted is what multer was configured to accept: at most 3 parts, one file (named
// "chunk"), 2 other fields of at most 256 bytes each.
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { errors } from "../errors.ts";
import { MAX_CHUNK_OBJECT_BYTES } from "./schemas.ts";

export type ChunkSink = (req: Request, data: Buffer) => Promise<{ stored: boolean; size: number }>;

const MAX_PARTS = 3;
const MAX_FIELDS = 2;
const MAX_FIELD_BYTES = 256;
const MAX_PART_HEADER_BYTES = 2048;
/** The chunk plus room for every part's headers, the fields and the delimiters. */
export const MAX_UPLOAD_BODY_BYTES = MAX_CHUNK_OBJECT_BYTES + MAX_PARTS * (MAX_PART_HEADER_BYTES + 256) + MAX_FIELDS * MAX_FIELD_BYTES;

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** The boundary of a multipart/form-data content type, or null for any other type. */
function boundaryOf(contentType: string | undefined): string | null | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined; // not multipart
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m?.[1] ?? m?.[2] ?? null;
}

const DISPOSITION = /^content-disposition:[ \t]*form-data\b(.*)$/im;
const PARAMS: Record<"name" | "filename", RegExp> = {
  name: /;\s*name=(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/i,
  filename: /;\s*filename=(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/i,
};

function dispositionParam(headers: string, name: "name" | "filename"): string | undefined {
  const line = DISPOSITION.exec(headers)?.[1];
  if (line === undefined) return undefined;
  const m = PARAMS[name].exec(line);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
}

/** The "chunk" file's bytes (a view of `body`), or null when the form has no file. Throws on a malformed or over-limit form. */
export function parseChunkForm(body: Buffer, boundary: string): Buffer | null {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter may open the body (no CRLF before it) or follow a preamble.
  let pos: number;
  if (body.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2))) pos = delimiter.length - 2;
  else {
    const first = body.indexOf(delimiter);
    if (first < 0) throw errors.validation("multipart body has no boundary");
    pos = first + delimiter.length;
  }
  let file: Buffer | null = null;
  let parts = 0;
  let fields = 0;
  for (;;) {
    // After a delimiter: "--" closes the form; otherwise optional padding, CRLF, then a part.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return file;
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body.indexOf(CRLF, pos) !== pos) throw errors.validation("malformed multipart body");
    pos += 2;
    if (++parts > MAX_PARTS) throw errors.validation("Too many parts");
    const headerEnd = body.indexOf(HEADER_END, pos - 2); // pos - 2: a part may have no headers
    if (headerEnd < 0 || headerEnd - pos > MAX_PART_HEADER_BYTES) throw errors.validation("malformed multipart part headers");
    const headers = body.toString("latin1", pos - 2, headerEnd); // from the CRLF, so every header starts a line
    const start = headerEnd + HEADER_END.length;
    const end = body.indexOf(delimiter, start);
    if (end < 0) throw errors.validation("Unexpected end of form");
    const name = dispositionParam(headers, "name");
    if (name === undefined) throw errors.validation("multipart part without a form-data name");
    if (dispositionParam(headers, "filename") !== undefined) {
      if (name !== "chunk") throw errors.validation("Unexpected field");
      if (file) throw errors.validation("Too many files");
      if (end - start > MAX_CHUNK_OBJECT_BYTES) throw errors.tooLarge("chunk too large");
      file = body.subarray(start, end);
    } else {
      if (++fields > MAX_FIELDS) throw errors.validation("Too many fields");
      if (end - start > MAX_FIELD_BYTES) throw errors.validation("Field value too long");
    }
    pos = end + delimiter.length;
  }
}

/** Reads the whole body, bounded; rejects with 413 past MAX_UPLOAD_BODY_BYTES. */
function readBody(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers["content-length"] === undefined ? -1 : Number(req.headers["content-length"]);
    if (declared > MAX_UPLOAD_BODY_BYTES) return reject(errors.tooLarge("chunk too large"));
    // With a declared length (as every client sends), one buffer of that size and one copy.
    const whole = declared >= 0 ? Buffer.allocUnsafe(declared) : null;
    const pieces: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (err: unknown, body?: Buffer) => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      if (err) {
        req.resume(); // discard the rest; Node also drains an unread body once the response ends
        reject(err);
      } else resolve(body!);
    };
    const onData = (b: Buffer) => {
      if (received + b.length > (whole ? whole.length : MAX_UPLOAD_BODY_BYTES)) return finish(errors.tooLarge("chunk too large"));
      if (whole) b.copy(whole, received);
      else pieces.push(b);
      received += b.length;
    };
    const onEnd = () => {
      if (whole) return received === whole.length ? finish(null, whole) : finish(errors.validation("request body incomplete"));
      finish(null, pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, received));
    };
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(errors.validation("request body incomplete"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

export function chunkUpload(sink: ChunkSink): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const boundary = boundaryOf(req.headers["content-type"]);
    if (boundary === undefined) return next(); // not a form: the route reports the missing field
    if (boundary === null) return next(errors.validation("Multipart: Boundary not found"));
    readBody(req)
      .then((body) => {
        const data = parseChunkForm(body, boundary);
        if (!data) return next();
        return sink(req, data).then((result) => {
          req.file = { size: result.size, filename: result.stored ? "stored" : "present" } as Express.Multer.File;
          next();
        });
      })
      .catch(next);
  };
}
