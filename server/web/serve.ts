// The web app (issue 21): the support console and the owner portal, served by the API's own
// Express app under /app. One HTML shell for every page (the bundle routes by path), one
// JavaScript bundle and one stylesheet, built by scripts/build.mjs into dist/web/ at install and
// before the tests. No CDN, no inline script: the Content-Security-Policy allows scripts,
// styles and API calls from this origin only, and no framing.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { type RequestHandler, type Response, type Router } from "express";

export const WEB_PREFIX = "/app";
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DIST = path.join(ROOT, "dist/web");
const ASSETS = { "app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8" } as const;
type Asset = keyof typeof ASSETS;

/** An asset's bytes and SRI hash, re-read when the file changes (a rebuild while the server runs). */
const cache = new Map<Asset, { mtimeMs: number; bytes: Buffer; integrity: string }>();
async function asset(name: Asset): Promise<{ bytes: Buffer; integrity: string } | null> {
  const file = path.join(DIST, name);
  const st = await stat(file).catch(() => null);
  if (!st) return null;
  const hit = cache.get(name);
  if (hit && hit.mtimeMs === st.mtimeMs) return hit;
  const bytes = await readFile(file);
  const entry = { mtimeMs: st.mtimeMs, bytes, integrity: `sha384-${createHash("sha384").update(bytes).digest("base64")}` };
  cache.set(name, entry);
  return entry;
}

function securityHeaders(production: boolean): RequestHandler {
  return (_req, res, next) => {
    res.set({
      "Content-Security-Policy": CONTENT_SECURITY_POLICY,
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
      "Referrer-Policy": "no-referrer",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    });
    // HSTS only where the deployment is HTTPS (production): on http://localhost it would be ignored
    // at best and pin a developer's browser at worst.
    if (production) res.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    next();
  };
}

/** The shell: the bundle and stylesheet by path with their integrity hashes (a careful owner can compare them with the release's). */
function shell(js: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DataSafe</title>
<link rel="stylesheet" href="${WEB_PREFIX}/app.css" integrity="${css}">
<script type="module" src="${WEB_PREFIX}/app.js" integrity="${js}"></script>
</head>
<body>
<noscript>DataSafe's console needs JavaScript.</noscript>
<main id="app" aria-live="polite">Loading…</main>
</body>
</html>
`;
}

function missing(res: Response): void {
  res.status(503).type("text/plain").send("the web app is not built: run `node scripts/build.mjs`\n");
}

export function webRoutes(o: { production: boolean }): Router {
  const router = express.Router();
  router.use(securityHeaders(o.production));
  for (const name of Object.keys(ASSETS) as Asset[]) {
    router.get(`/${name}`, async (_req, res, next) => {
      try {
        const a = await asset(name);
        if (!a) return missing(res);
        res.set({ "Content-Type": ASSETS[name], "Cache-Control": "no-cache" }).send(a.bytes);
      } catch (e) {
        next(e);
      }
    });
  }
  // Every other path under /app is a page of the bundle (sign-in, search, a studio, the portal).
  router.get(/^\/(?:[a-z0-9-]+(?:\/[0-9a-f-]{36})?)?\/?$/, async (_req, res, next) => {
    try {
      const [js, css] = await Promise.all([asset("app.js"), asset("app.css")]);
      if (!js || !css) return missing(res);
      res.set({ "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }).send(shell(js.integrity, css.integrity));
    } catch (e) {
      next(e);
    }
  });
  return router;
}
