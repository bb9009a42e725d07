// The OpenAPI document (protocol/openapi.ts) is structurally valid OpenAPI 3.1 for every route of
// the table, checked without a validator package: the fixed fields of each object OpenAPI 3.1
// defines (and `x-` extensions only beyond them), every route present once, every path
// parameter declared and required, every $ref resolving inside the document, every schema
// readable as JSON Schema (zod's own z.fromJSONSchema), every error code from the catalogue and
// under its own status, and a security requirement only with a declared scheme.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { API_ERRORS, isApiErrorCode } from "../../../protocol/api-errors.ts";
import { errorCodesOf, openApiDocument, openApiPath, pathParameters } from "../../../protocol/openapi.ts";
import { routes, type RouteName, type RouteSpec } from "../../../protocol/routes.ts";
import { apiDocsPage } from "../../../server/http/api-docs-page.ts";

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: unknown;
}
interface Answer {
  description: string;
  content?: Record<string, object>;
  "x-error-codes"?: string[];
}
interface Operation {
  operationId: string;
  summary: string;
  "x-audience": string[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, object> };
  responses: Record<string, Answer>;
  security: Array<Record<string, string[]>>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, { type: string }> };
}
const doc = openApiDocument({ version: "9.9.9" }) as unknown as Document;

// OpenAPI 3.1.0's fixed fields (spec section 4.8) of the objects this document uses.
const FIELDS: Record<string, string[]> = {
  document: ["openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components", "security", "tags", "externalDocs"],
  info: ["title", "summary", "description", "termsOfService", "contact", "license", "version"],
  pathItem: [
    "$ref",
    "summary",
    "description",
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "servers",
    "parameters",
  ],
  operation: [
    "tags",
    "summary",
    "description",
    "externalDocs",
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "callbacks",
    "deprecated",
    "security",
    "servers",
  ],
  parameter: ["name", "in", "description", "required", "deprecated", "allowEmptyValue", "style", "explode", "allowReserved", "schema"],
  requestBody: ["description", "content", "required"],
  response: ["description", "headers", "content", "links"],
  mediaType: ["schema", "example", "examples", "encoding"],
  components: ["schemas", "responses", "parameters", "examples", "requestBodies", "headers", "securitySchemes", "links", "callbacks"],
  securityScheme: ["type", "description", "name", "in", "scheme", "bearerFormat", "flows", "openIdConnectUrl"],
  tag: ["name", "description", "externalDocs"],
};

function fieldsOf(kind: string, o: object, where: string): void {
  assert.equal(typeof o, "object", `${where}: an object`);
  for (const k of Object.keys(o))
    assert.ok(FIELDS[kind]!.includes(k) || k.startsWith("x-"), `${where}: ${k} is not a field of a ${kind} object`);
}

/** Every `$ref` of a value, with where it is. */
function* refs(v: unknown, at: string): Generator<[string, string]> {
  if (Array.isArray(v)) for (const [i, x] of v.entries()) yield* refs(x, `${at}/${i}`);
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref") yield [x as string, at];
      else yield* refs(x, `${at}/${k}`);
    }
}

function resolve(pointer: string): unknown {
  assert.ok(pointer.startsWith("#/"), `${pointer}: only references inside the document`);
  let v: unknown = doc;
  for (const raw of pointer.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    v = v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

const operations = (): Array<[string, string, Operation]> =>
  Object.entries(doc.paths).flatMap(([p, item]) =>
    Object.entries(item)
      .filter(([m]) => ["get", "put", "post", "delete", "patch"].includes(m))
      .map(([m, op]) => [p, m, op] as [string, string, Operation]),
  );

describe("GET /openapi.json: the route table as OpenAPI 3.1", () => {
  it("has the document's fixed fields", () => {
    fieldsOf("document", doc, "document");
    assert.equal(doc.openapi, "3.1.0");
    fieldsOf("info", doc.info, "info");
    assert.equal(doc.info.version, "9.9.9");
    assert.equal(typeof doc.info.title, "string");
    fieldsOf("components", doc.components, "components");
    for (const t of doc.tags) fieldsOf("tag", t, `tag ${t.name}`);
  });

  it("has every route of the table once, under its method and path, and nothing else", () => {
    const names = Object.keys(routes) as RouteName[];
    for (const name of names) {
      const spec: RouteSpec = routes[name];
      const op = doc.paths[openApiPath(spec.path)]?.[spec.method.toLowerCase()];
      assert.ok(op, `${name}: ${spec.method} ${spec.path} missing`);
      assert.equal(op.operationId, name);
      assert.equal(op.summary, spec.summary);
      assert.deepEqual(op["x-audience"], [...spec.audience], `${name}: x-audience`);
    }
    const ids = operations().map(([, , op]) => op.operationId);
    assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
    assert.deepEqual(ids.sort(), [...names].sort());
  });

  it("declares every path parameter, required, and no parameter twice", () => {
    for (const [p, m, op] of operations()) {
      fieldsOf("pathItem", doc.paths[p]!, p);
      fieldsOf("operation", op, `${m} ${p}`);
      const params = op.parameters ?? [];
      for (const param of params) {
        fieldsOf("parameter", param, `${m} ${p} ${param.name}`);
        assert.ok(["path", "query", "header", "cookie"].includes(param.in));
        assert.equal(typeof param.schema, "object", `${m} ${p} ${param.name}: a schema`);
      }
      const inPath = [...p.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]);
      const declared = params.filter((x) => x.in === "path");
      assert.deepEqual(declared.map((x) => x.name).sort(), [...inPath].sort(), `${m} ${p}: path parameters`);
      for (const x of declared) assert.equal(x.required, true, `${m} ${p} ${x.name}: path parameters are required`);
      const keys = params.map((x) => `${x.in} ${x.name}`);
      assert.equal(new Set(keys).size, keys.length, `${m} ${p}: a parameter twice`);
    }
    // The Express paths of the table and the OpenAPI templates name the same parameters.
    for (const spec of Object.values(routes) as RouteSpec[])
      assert.deepEqual(
        [...openApiPath(spec.path).matchAll(/\{([^}]+)\}/g)].map((x) => x[1]),
        pathParameters(spec.path),
      );
  });

  it("answers: the success status with its schema, each error code under its status, from the catalogue", () => {
    for (const [p, m, op] of operations()) {
      const spec: RouteSpec = routes[op.operationId as RouteName];
      assert.ok(Object.keys(op.responses).length > 1, `${m} ${p}: responses`);
      for (const [status, res] of Object.entries(op.responses)) {
        assert.match(status, /^[1-5][0-9]{2}$/, `${m} ${p}: status ${status}`);
        fieldsOf("response", res, `${m} ${p} ${status}`);
        assert.equal(typeof res.description, "string", `${m} ${p} ${status}: description is required`);
        for (const [type, media] of Object.entries(res.content ?? {})) {
          assert.match(type, /^[a-z]+\/[a-z0-9.+*-]+$/);
          fieldsOf("mediaType", media, `${m} ${p} ${status} ${type}`);
        }
        const codes = res["x-error-codes"] ?? [];
        for (const c of codes) {
          assert.ok(isApiErrorCode(c), `${m} ${p}: ${c} is not in protocol/api-errors.ts`);
          assert.equal(String(API_ERRORS[c].status), status, `${m} ${p}: ${c} under ${status}`);
        }
      }
      assert.ok(op.responses[String(spec.status)], `${m} ${p}: the success status ${spec.status}`);
      const listed = Object.values(op.responses).flatMap((r) => r["x-error-codes"] ?? []);
      assert.deepEqual(listed.sort(), [...errorCodesOf(spec)].sort(), `${m} ${p}: error codes`);
      if (op.requestBody) {
        fieldsOf("requestBody", op.requestBody, `${m} ${p} body`);
        assert.ok(Object.keys(op.requestBody.content).length === 1);
      }
    }
  });

  it("names the audience's security scheme, and each scheme is declared", () => {
    const schemes = doc.components.securitySchemes;
    for (const [name, s] of Object.entries(schemes)) {
      fieldsOf("securityScheme", s, name);
      assert.ok(["http", "apiKey"].includes(s.type));
    }
    for (const [p, m, op] of operations()) {
      const spec: RouteSpec = routes[op.operationId as RouteName];
      const used = op.security.flatMap((r) => Object.keys(r));
      for (const s of used) assert.ok(schemes[s], `${m} ${p}: scheme ${s} is not declared`);
      const want = spec.audience.includes("anonymous")
        ? []
        : spec.audience.includes("device")
          ? ["deviceBearer"]
          : ["userBearer", "userCookie"];
      assert.deepEqual(used, want, `${m} ${p}: security`);
      if (spec.audience.includes("device")) assert.ok(op.responses["401"]?.["x-error-codes"]?.includes("UNAUTHENTICATED"));
      if (spec.path.includes(":studioId")) assert.ok(op.responses["404"]?.["x-error-codes"]?.includes("NOT_FOUND"));
    }
  });

  it("resolves every $ref, and every schema reads as JSON Schema", () => {
    let n = 0;
    for (const [ref, at] of refs(doc, "#")) {
      assert.ok(resolve(ref) !== undefined, `${at}: ${ref} does not resolve`);
      n++;
    }
    assert.ok(n >= Object.keys(routes).length, `references checked (${n})`);
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      assert.ok(!("$schema" in schema) && !("$defs" in schema), `${name}: no dialect or local definitions`);
      assert.doesNotThrow(() => z.fromJSONSchema(schema as never), `${name}: not readable as JSON Schema`);
    }
  });

  it("describes what the server checks: sign-in's body schema, read back, accepts and refuses what zod does", () => {
    const body = z.fromJSONSchema(doc.components.schemas.signInBody as never);
    for (const value of [{ email: "a@b.example", password: "x" }, { email: "nope", password: "x" }, { password: "x" }])
      assert.equal(body.safeParse(value).success, routes.signIn.body.safeParse(value).success, JSON.stringify(value));
  });
});

describe("GET /docs: the route table for people", () => {
  const page = apiDocsPage("9.9.9");

  it("lists every route with its audience, method, path and summary", () => {
    for (const [name, spec] of Object.entries(routes) as Array<[string, RouteSpec]>) {
      const row = new RegExp(`<tr id="${name}">(.*?)</tr>`).exec(page)?.[1];
      assert.ok(row, `${name}: no row`);
      const summary = spec.summary.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      for (const part of [spec.audience.join(", "), spec.method, spec.path, summary]) assert.ok(row.includes(part), `${name}: ${part}`);
      for (const c of errorCodesOf(spec)) assert.ok(row.includes(`>${c}</abbr>`), `${name}: ${c}`);
    }
  });

  it("loads nothing: no script, no external stylesheet, image or font", () => {
    assert.doesNotMatch(page, /<script|<link|<img|@import|url\(/i);
    assert.doesNotMatch(page, /(src|href)="(https?:)?\/\//i);
  });
});
