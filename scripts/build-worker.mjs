// Bundles the uploader's crypto worker into plain JavaScript (dist/, not committed) at install
// time. Worker threads then start without the TypeScript loader: each tsx-loaded worker would
// carry its own loader-hooks thread and cost ~50 MB of RSS (test/e2e/memory.test.ts).
import { build } from "esbuild";

await build({
  entryPoints: ["uploader/backup/crypto-worker.ts"],
  outfile: "dist/crypto-worker.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});
