// Requests anyone can send, against a real server in production mode: hostile JSON bodies to the
// unauthenticated enrollment routes get 400/413 from the one error vocabulary (never a 500), and
// GET /metrics answers only with its bearer token (issue 15, finding 6).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startServer, type TestServer } from "../support/server.ts";

const METRICS_TOKEN = "metrics-token-for-request-hardening";

interface ErrorBody {
  error: { code: string; message: string };
}

describe("hostile requests (production mode)", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ role: "api", env: { NODE_ENV: "production", JWT_SECRET: "j".repeat(40), METRICS_TOKEN } });
  });
  after(async () => server?.stop());

  const post = async (path: string, body: string) => {
    const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    return { status: res.status, body: (await res.json()) as ErrorBody };
  };
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

  it("answers 400 to deeply nested JSON, where the enrollment's schema check used to overflow the stack (500)", async () => {
    for (const depth of [10_000, 100_000]) {
      const enroll = `{"token":"dse_aaaaaaaaaaaaaaaa","deviceName":"pc","signPublicKey":"k","certificate":{"a":${nested(depth)}}}`;
      for (const [path, body] of [
        ["/v1/enrollments", enroll],
        ["/v1/enrollments/lookup", nested(depth)],
        ["/v1/enrollments/lookup", `{"token":${nested(depth)}}`],
      ] as const) {
        const res = await post(path, body);
        assert.equal(res.status, 400, `${path} depth ${depth}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, "VALIDATION_FAILED");
        assert.match(res.body.error.message, /nests deeper than 32 levels/);
      }
    }
    assert.doesNotMatch(server.logs(), /Maximum call stack|"level":50/);
  });

  it("still reads ordinary bodies, brackets inside strings included", async () => {
    const res = await post("/v1/enrollments/lookup", JSON.stringify({ token: `dse_${"[{".repeat(50)}` }));
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, "TOKEN_INVALID");
  });

  it("answers 400 to malformed JSON and 413 to a body over 1 MiB", async () => {
    const bad = await post("/v1/enrollments/lookup", '{"token": "dse_aaaaaaaaaa"');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "VALIDATION_FAILED");
    const big = await post("/v1/enrollments/lookup", JSON.stringify({ token: "x".repeat(2 * 1024 * 1024) }));
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, "TOO_LARGE");
  });

  it("serves /metrics only with its bearer token", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong-token-of-some-length" }, { authorization: METRICS_TOKEN }] as Record<
      string,
      string
    >[]) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as ErrorBody).error.code, "UNAUTHENTICATED");
    }
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /datasafe_/);
  });
});
