// The answer of GET /openapi.json, as far as a client relies on it: an OpenAPI 3.1 document
// (protocol/openapi.ts builds it from the route table). Loose: the rest is OpenAPI's own shape.
import { z } from "zod";

export const OPENAPI_VERSION = "3.1.0";

export const openApiDocumentView = z
  .object({
    openapi: z.literal(OPENAPI_VERSION),
    info: z.object({ title: z.string(), version: z.string() }).loose(),
    paths: z.record(z.string(), z.record(z.string(), z.unknown())),
    components: z.object({ schemas: z.record(z.string(), z.unknown()), securitySchemes: z.record(z.string(), z.unknown()) }).loose(),
  })
  .loose();
