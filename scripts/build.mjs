// Bundles the uploader into plain JavaScript under dist/ (not committed), at install time and
// before the tests. No type-checking here (tsc does that); esbuild only strips types and joins
// our own modules, leaving npm packages as imports.
//   dist/crypto-worker.mjs  the crypto worker thread: workers then start without the TypeScript
//                           loader, whose hooks thread would cost ~50 MB of RSS each
//                           (test/e2e/memory.test.ts);
//   dist/cli/datasafe.mjs   the `datasafe` CLI: starts in ~0.2 s instead of ~1 s of TypeScript
//                           compilation per run (bin/datasafe.js falls back to the sources when
//                           one listed in dist/cli/inputs.json is newer). Two levels deep on purpose: the sources resolve
//                           package.json, bin/ and dist/ as "../../" from their own folders.
//   dist/web/app.js, app.css the web app's one script and stylesheet (server/web/serve.ts serves
//                           them under /app with their integrity hashes): for browsers, npm
//                           packages bundled in, no source maps (the page's code is what it serves).
import { writeFile } from "node:fs/promises";
import { build } from "esbuild";

const common = { bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "warning" };
const web = { bundle: true, platform: "browser", target: ["chrome115", "firefox115", "safari16"], logLevel: "warning", minify: true };
const [, cli] = await Promise.all([
  build({ ...common, entryPoints: ["uploader/crypto/crypto-worker.ts"], outfile: "dist/crypto-worker.mjs", external: ["zstd-napi"] }),
  build({
    ...common,
    entryPoints: ["uploader/cli.ts"],
    outfile: "dist/cli/datasafe.mjs",
    metafile: true,
    // npm packages bundled too (one file to parse: the CLI starts ~0.2 s sooner), but for the
    // native zstd binding; CommonJS ones among them find require() through this banner.
    external: ["zstd-napi", "zstd-napi/*"],
    banner: { js: 'import { createRequire as __datasafeRequire } from "node:module"; const require = __datasafeRequire(import.meta.url);' },
  }),
  // `Buffer` for the format's modules the restore page runs (uploader/format/browser.ts).
  build({
    ...web,
    format: "esm",
    entryPoints: ["server/web/client/main.ts"],
    outfile: "dist/web/app.js",
    inject: ["server/web/client/buffer-global.ts"],
  }),
  build({ ...web, entryPoints: ["server/web/client/app.css"], outfile: "dist/web/app.css" }),
]);
// The sources the CLI bundle was built from: bin/datasafe.js compares their mtimes with it.
await writeFile("dist/cli/inputs.json", JSON.stringify(Object.keys(cli.metafile.inputs).filter((f) => !f.startsWith("node_modules/"))));
