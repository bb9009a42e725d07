// /downloads: the uploader release (services/releases.ts). A plain page for owners until the web
// app links it, and the files themselves, which the uploader's self-update fetches.
import type { Ctx } from "../../context.ts";
import { downloadParams } from "../../../protocol/release.ts";
import { currentRelease, openReleaseFile } from "../../services/releases.ts";
import type { Mount } from "../route-table.ts";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function downloadRoutes(mount: Mount, ctx: Ctx): void {
  mount("downloads", async (_req, res) => {
    const release = await currentRelease(ctx);
    const rows = (release?.files ?? [])
      .map((f) => {
        const name = escape(f.name);
        return `<tr><td><a href="/downloads/${encodeURIComponent(f.name)}">${name}</a></td><td>${escape(f.target)}</td><td>${(f.size / 1e6).toFixed(1)} MB</td><td><code>${f.sha256}</code></td></tr>`;
      })
      .join("\n");
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>DataSafe uploader</title>
<style>body{font:16px system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}td{padding:.3rem .8rem .3rem 0}code{font-size:12px}</style></head><body>
<h1>DataSafe uploader</h1>
${
  release
    ? `<p>Version ${escape(release.version)}, signed ${escape(release.signedAt)}. Download the file for your PC, run it, and enroll with the token your operator or the studio owner gave you. The uploader keeps itself up to date.</p>
<table><tr><th>File</th><th>For</th><th>Size</th><th>SHA-256</th></tr>
${rows}
</table><p>Signed manifest: <a href="/downloads/release.json">release.json</a>, signature <a href="/downloads/release.sig">release.sig</a>.</p>`
    : "<p>No release is published on this server yet.</p>"
}
</body></html>`);
  });

  mount("downloadFile", async (req, res) => {
    const { file } = downloadParams.parse(req.params);
    const { size, stream } = await openReleaseFile(ctx, file);
    res.setHeader("Content-Type", file.endsWith(".json") || file.endsWith(".sig") ? "application/json" : "application/octet-stream");
    res.setHeader("Content-Length", String(size));
    // The manifest changes with each release; the executables' names carry no version.
    res.setHeader("Cache-Control", "no-cache");
    stream.on("error", (err) => res.destroy(err));
    stream.pipe(res);
  });
}
