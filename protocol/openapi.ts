// The OpenAPI 3.1 document of the API, generated from the route table (protocol/routes.ts) and
// nothing else: paths, audiences, schemas (zod 4's own z.toJSONSchema, draft 2020-12, which is
// OpenAPI 3.1's dialect), security schemes and error codes. GET /openapi.json serves it and
// GET /docs renders it for people (server/http/api-docs-page.ts).
//
// Error codes of an operation: the route's own `errors`, plus what the table implies for every
// route of its kind: authentication for device and people routes, the role check where not every
// person is admitted, CSRF on cookie-authenticated changes, staff's second-factor rule, 404 for an
// id in the path (another tenant's ids included), 400 for a parameter, query or body schema, 413
// for a body, 500 for everything.
import { z } from "zod";
import { API_ERRORS, type ApiErrorCode } from "./api-errors.ts";
import { OPENAPI_VERSION } from "./api-docs.ts";
import { ACCESS_COOKIE, CSRF_HEADER, isOwnAccountPath } from "./people.ts";
import { errorView, routes, type Raw, type RouteName, type RouteSpec } from "./routes.ts";

type Json = Record<string, unknown>;

export type AudienceKind = "anonymous" | "device" | "people";

export const SECURITY_SCHEMES = {
  deviceBearer: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "a device token (protocol/device-tokens.ts), renewed with the device key at POST /v1/devices/token",
  },
  userBearer: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "a person's access token from POST /v1/auth/sign-in with mode bearer (15 minutes; POST /v1/auth/refresh)",
  },
  userCookie: {
    type: "apiKey",
    in: "cookie",
    name: ACCESS_COOKIE,
    description: `the web app's session cookie (sign-in with mode cookie); a request other than GET also sends the ${CSRF_HEADER} header`,
  },
} as const;

export function audienceKind(spec: RouteSpec): AudienceKind {
  if (spec.audience.includes("anonymous")) return "anonymous";
  return spec.audience.includes("device") ? "device" : "people";
}

/** The `:name` parameters of an Express path, in order. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

/** Express `:name` to OpenAPI `{name}`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");

/** Every error code the route may answer, by status then name. */
export function errorCodesOf(spec: RouteSpec): ApiErrorCode[] {
  const codes = new Set<ApiErrorCode>(spec.errors ?? []);
  const kind = audienceKind(spec);
  if (kind !== "anonymous") for (const c of ["UNAUTHENTICATED", "TOKEN_EXPIRED", "DATABASE_UNAVAILABLE"] as const) codes.add(c);
  if (kind === "people") {
    if (!(["owner", "support", "admin"] as const).every((a) => spec.audience.includes(a))) codes.add("FORBIDDEN");
    if (spec.method !== "GET") codes.add("CSRF_FAILED");
    if (spec.audience.some((a) => a === "support" || a === "admin") && !isOwnAccountPath(spec.path)) codes.add("TOTP_ENROLLMENT_REQUIRED");
  }
  if (pathParameters(spec.path).length > 0) codes.add("NOT_FOUND");
  if (spec.params || spec.query || spec.body) codes.add("VALIDATION_FAILED");
  if (spec.body !== undefined && spec.body !== "empty") codes.add("TOO_LARGE");
  codes.add("INTERNAL");
  return [...codes].sort((a, b) => API_ERRORS[a].status - API_ERRORS[b].status || a.localeCompare(b));
}

const MEDIA: Record<Exclude<Raw, "empty">, { type: string; schema: Json }> = {
  binary: { type: "application/octet-stream", schema: { type: "string", contentMediaType: "application/octet-stream" } },
  text: { type: "text/plain", schema: { type: "string" } },
  html: { type: "text/html", schema: { type: "string" } },
};

/** A zod schema as a JSON Schema to embed: no `$schema`, and no `$defs` (their refs would resolve against the document). */
function jsonSchema(schema: z.ZodType, io: "input" | "output", where: string): Json {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, reused: "inline", unrepresentable: "any" }) as Json;
  if ("$defs" in json) throw new Error(`${where}: a recursive schema needs a named component in protocol/openapi.ts`);
  return json;
}

class Components {
  readonly schemas: Record<string, Json> = {};
  readonly #names = { input: new Map<z.ZodType, string>(), output: new Map<z.ZodType, string>() };

  /** A $ref to the schema, named after its first use: a schema used again is referenced, not copied. */
  ref(schema: z.ZodType, io: "input" | "output", name: string): Json {
    let known = this.#names[io].get(schema);
    if (known === undefined) {
      this.schemas[name] = jsonSchema(schema, io, name);
      this.#names[io].set(schema, name);
      known = name;
    }
    return { $ref: `#/components/schemas/${known}` };
  }
}

function parameters(name: RouteName, spec: RouteSpec): Json[] {
  const out: Json[] = [];
  const params = spec.params ? jsonSchema(spec.params, "input", `${name} params`) : { properties: {} };
  const props = (params.properties ?? {}) as Record<string, Json>;
  for (const p of pathParameters(spec.path)) out.push({ name: p, in: "path", required: true, schema: props[p] ?? { type: "string" } });
  if (spec.query) {
    const query = jsonSchema(spec.query, "input", `${name} query`);
    const required = new Set((query.required ?? []) as string[]);
    for (const [q, schema] of Object.entries((query.properties ?? {}) as Record<string, Json>))
      out.push({ name: q, in: "query", required: required.has(q), schema });
  }
  return out;
}

function errorResponses(spec: RouteSpec): Record<string, Json> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of errorCodesOf(spec)) {
    const s = API_ERRORS[code].status;
    byStatus.set(s, [...(byStatus.get(s) ?? []), code]);
  }
  const out: Record<string, Json> = {};
  for (const [status, codes] of byStatus) {
    out[String(status)] = {
      description: codes.map((c) => `${c}: ${API_ERRORS[c].meaning}`).join("\n\n"),
      "x-error-codes": codes,
      content: {
        "application/json": {
          schema: {
            allOf: [
              { $ref: "#/components/schemas/Error" },
              { type: "object", properties: { error: { type: "object", properties: { code: { enum: codes } } } } },
            ],
          },
        },
      },
    };
  }
  return out;
}

function operation(name: RouteName, spec: RouteSpec, components: Components): Json {
  const kind = audienceKind(spec);
  const op: Json = {
    operationId: name,
    summary: spec.summary,
    tags: [kind],
    "x-audience": [...spec.audience],
    security: kind === "anonymous" ? [] : kind === "device" ? [{ deviceBearer: [] }] : [{ userBearer: [] }, { userCookie: [] }],
  };
  const params = parameters(name, spec);
  if (params.length) op.parameters = params;
  if (spec.body instanceof z.ZodType) {
    op.requestBody = { required: true, content: { "application/json": { schema: components.ref(spec.body, "input", `${name}Body`) } } };
  } else if (spec.body && spec.body !== "empty") {
    const media = MEDIA[spec.body];
    op.requestBody = { required: true, content: { [media.type]: { schema: media.schema } } };
  }
  const success: Json = { description: spec.summary };
  if (spec.response instanceof z.ZodType) {
    success.content = { "application/json": { schema: components.ref(spec.response, "output", `${name}Response`) } };
  } else if (spec.response !== "empty") {
    const media = MEDIA[spec.response];
    success.content = { [media.type]: { schema: media.schema } };
  }
  op.responses = { [String(spec.status)]: success, ...errorResponses(spec) };
  return op;
}

/** The OpenAPI 3.1 document of every route of the table. */
export function openApiDocument(info: { version: string }): Json {
  const components = new Components();
  components.schemas.Error = jsonSchema(errorView, "output", "Error");
  const paths: Record<string, Record<string, Json>> = {};
  for (const name of Object.keys(routes) as RouteName[]) {
    const spec: RouteSpec = routes[name];
    const item = (paths[openApiPath(spec.path)] ??= {});
    item[spec.method.toLowerCase()] = operation(name, spec, components);
  }
  return {
    openapi: OPENAPI_VERSION,
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "DataSafe API",
      version: info.version,
      description:
        "Generated from the route table (protocol/routes.ts). x-audience names who may call an operation: anonymous, device, or people (owner, support, admin); x-error-codes lists the codes of protocol/api-errors.ts an answer may carry.",
    },
    tags: [
      { name: "anonymous", description: "no credential" },
      { name: "device", description: "a device token; answers are limited to the device's own studio" },
      { name: "people", description: "a signed-in person: owners see their studios only, staff every studio's metadata" },
    ],
    paths,
    components: { schemas: components.schemas, securitySchemes: SECURITY_SCHEMES },
  };
}
