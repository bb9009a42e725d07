// The web app is served by the API's own Express app under /app (server/web/serve.ts): one HTML
// shell for every page, one script and one stylesheet with integrity hashes, a strict
// Content-Security-Policy (no inline script, API calls to this origin only, no framing), and
// nothing under /v1 shadowed. Plain HTTP against a real server; test/web/browser.test.ts drives
// Chromium.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CONTENT_SECURITY_POLICY } from "../../server/web/serve.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("web app serving", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ role: "api" });
  });
  after(async () => server?.stop());

  const sri = (bytes: ArrayBuffer) => `sha384-${createHash("sha384").update(Buffer.from(bytes)).digest("base64")}`;

  it("serves the shell on every page path with the security headers and no inline script", async () => {
    for (const path of ["/app", "/app/", "/app/sign-in", "/app/search", "/app/studios/0b9f3f9e-8d1c-4c2a-9a55-2f1a3c4d5e6f"]) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type")!, /^text\/html/);
      assert.equal(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
      assert.equal(res.headers.get("x-frame-options"), "DENY");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      assert.equal(res.headers.get("strict-transport-security"), null, "HSTS only in production");
      assert.equal(res.headers.get("cache-control"), "no-store");
      const html = await res.text();
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      assert.equal(scripts.length, 1, "one script");
      assert.match(scripts[0]![1]!, /src="\/app\/app\.js"/);
      assert.equal(scripts[0]![2], "", "no inline script");
      assert.doesNotMatch(html, /\son[a-z]+=|style=/i, "no inline handlers or styles");
    }
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  });

  it("serves the bundle and the stylesheet whose integrity hashes the shell names", async () => {
    const html = await (await fetch(`${server.url}/app/`)).text();
    for (const [name, type] of [
      ["app.js", /^text\/javascript/],
      ["app.css", /^text\/css/],
    ] as const) {
      const res = await fetch(`${server.url}/app/${name}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type")!, type);
      assert.equal(res.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
      const body = await res.arrayBuffer();
      assert.ok(html.includes(`integrity="${sri(body)}"`), `${name}'s hash in the shell`);
      // Plain DOM code: no framework, no zod (the page imports protocol types only).
      if (name === "app.js") assert.ok(body.byteLength < 100_000, `app.js is ${body.byteLength} bytes`);
    }
  });

  it("answers 404 for other paths under /app and leaves the API alone", async () => {
    for (const path of ["/app/studios/x/y/z", "/app/../v1/me", "/app/app.map", "/app/studios/not-a-uuid-at-all-but-long-enough-xxxx"]) {
      const res = await fetch(server.url + path);
      assert.ok([401, 404].includes(res.status), `${path}: ${res.status}`);
      assert.doesNotMatch(res.headers.get("content-type") ?? "", /html/, path);
    }
    const me = await fetch(`${server.url}/v1/me`);
    assert.equal(me.status, 401);
    assert.equal(((await me.json()) as { error: { code: string } }).error.code, "UNAUTHENTICATED");
  });
});
