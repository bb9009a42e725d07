// JSON request bodies: at most 1 MiB, and nested at most MAX_JSON_DEPTH deep. JSON.parse itself
// copes with any depth, but everything that walks the parsed value recursively does not
// (JSON.stringify in a schema's size check, a logger, a deep copy): 100,000 nested arrays in an
// unauthenticated enrollment overflowed the stack there and answered 500. So the depth is
// checked on the raw bytes, before parsing, and refused as the caller's mistake (400).
import express, { type RequestHandler } from "express";
import { errors } from "../../errors.ts";

/** Deeper than any body of the API (a keyset nests 3 levels). */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * The deepest nesting of arrays and objects in `buf` (JSON text), stopping early once it exceeds
 * `limit`. Brackets inside strings do not count. Malformed text is JSON.parse's to refuse.
 */
export function jsonDepthExceeds(buf: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === BACKSLASH)
        i++; // the escaped byte cannot end the string
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/** express.json with the body limit and the depth check; errors go to the one error handler. */
export function jsonBody(): RequestHandler {
  return express.json({
    limit: "1mb",
    verify: (_req, _res, buf) => {
      if (jsonDepthExceeds(buf, MAX_JSON_DEPTH)) throw errors.validation(`request body nests deeper than ${MAX_JSON_DEPTH} levels`);
    },
  });
}
