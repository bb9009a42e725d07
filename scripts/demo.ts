// `npm run demo`: the whole product in one minute on one machine. Creates a studio, enrolls a PC,
// backs up a database dump and a photo folder twice (the second run shows dedup), enrolls a
// second PC, restores there and checks every byte. Uses only the public CLIs, as a user would.
// Needs Postgres and Redis as configured for the server (.env / env vars, same as the server).
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { config as loadDotenv } from "dotenv";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PASSPHRASE = "demo passphrase, not for real data";
const READY_TIMEOUT_MS = 60_000;

interface BackupResult {
  restorePointId: string;
  files: number;
  bytesRead: number;
  bytesUploaded: number;
  durationMs: number;
}
interface RestoreResult {
  files: number;
  bytes: number;
  durationMs: number;
}

const MB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (text: string) => process.stdout.write(`- ${text}\n`);

/** Runs one of the repo's CLIs with --json; they print one JSON object, or one error line on stderr. */
function cli<T>(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", bin), "--json", ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const what = `${bin} ${args[0]}`;
      if (code !== 0) return reject(new Error(`${what} failed (exit ${code}): ${tail(err || out, 5)}`));
      try {
        resolve(JSON.parse(out) as T);
      } catch {
        reject(new Error(`${what} printed no JSON object: ${tail(out, 5)}`));
      }
    });
  });
}

/** The last lines of a child's output, each cut short (pino lines carry whole stack traces). */
const tail = (text: string, lines: number) =>
  text
    .trim()
    .split("\n")
    .slice(-lines)
    .map((l) => (l.length > 240 ? `${l.slice(0, 240)}...` : l))
    .join("\n");

async function get(url: string, timeoutMs = 2000): Promise<Response | null> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return null; // refused, unresolvable or too slow: "does not answer"
  }
}

/** Starts `server/main.ts all` with our environment and waits until /readyz says 200. */
async function startServer(server: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", "all"], {
    cwd: ROOT,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // The server logs to stdout and crashes to stderr: keep the last lines of both for the error.
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the server exited (code ${child.exitCode ?? child.signalCode}) before it was ready; its last output:\n${tail(output, 15)}`,
      );
    }
    const res = await get(`${server}/readyz`, 5000); // readyz waits up to 3 s per probe
    if (res?.status === 200) return child;
    if (res) last = `${res.status} ${await res.text()}`;
    await sleep(300);
  }
  await stopServer(child);
  throw new Error(`the server was not ready within ${READY_TIMEOUT_MS / 1000} s (/readyz: ${last}); its last output:\n${tail(output, 15)}`);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM"); // main.ts closes the HTTP server, worker and queue on SIGTERM
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Deterministic pseudo-random numbers (mulberry32), so the dump is the same on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A ~20 MB SQL dump (compressible, like a studio-management database backup). */
async function writeDump(file: string, targetBytes = 20 * 1024 * 1024): Promise<void> {
  const rnd = prng(42);
  const names = ["Acme Photo", "Baker & Sons", "Claire Dupont", "Delta Events", "Evans Wedding", "Foster Family"];
  const fh = await open(file, "w");
  await fh.write("-- PostgreSQL database dump\nBEGIN;\n");
  let written = 0;
  for (let id = 1; written < targetBytes;) {
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++, id++) {
      const customer = names[Math.floor(rnd() * names.length)];
      const day = String(1 + Math.floor(rnd() * 28)).padStart(2, "0");
      lines.push(
        `INSERT INTO invoices (id, customer, amount_cents, status, created_at) VALUES (${id}, '${customer}', ${Math.floor(rnd() * 500000)}, '${rnd() < 0.9 ? "paid" : "open"}', '2024-06-${day}');\n`,
      );
    }
    const text = lines.join("");
    await fh.write(text);
    written += text.length;
  }
  await fh.write("COMMIT;\n");
  await fh.close();
}

/** ~10 "photos" of 1-3 MB of random bytes (incompressible, like JPEGs), one nested, and an empty folder. */
async function writePhotos(dir: string): Promise<void> {
  const rnd = prng(7);
  await mkdir(path.join(dir, "2024-06-shoot"), { recursive: true });
  await mkdir(path.join(dir, "edits", "empty"), { recursive: true }); // empty folders must survive too
  for (let i = 1; i <= 10; i++) {
    const where = i <= 7 ? dir : path.join(dir, "2024-06-shoot");
    const size = Math.floor((1 + rnd() * 2) * 1024 * 1024);
    await writeFile(path.join(where, `IMG_${String(i).padStart(4, "0")}.jpg`), randomBytes(size));
  }
}

/** Every entry under dir, relative, with its kind: what the restore must reproduce. */
async function tree(dir: string): Promise<Map<string, "dir" | "file">> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return new Map(entries.map((e) => [path.relative(dir, path.join(e.parentPath, e.name)), e.isDirectory() ? "dir" : "file"]));
}

async function compare(expected: string, actual: string): Promise<string[]> {
  const [a, b] = [await tree(expected), await tree(actual)];
  const problems: string[] = [];
  for (const [rel, kind] of a) {
    if (b.get(rel) !== kind) problems.push(`${rel}: ${b.has(rel) ? `is a ${b.get(rel)}, expected a ${kind}` : "missing"}`);
    else if (kind === "file" && !(await readFile(path.join(expected, rel))).equals(await readFile(path.join(actual, rel)))) {
      problems.push(`${rel}: content differs`);
    }
  }
  for (const rel of b.keys()) if (!a.has(rel)) problems.push(`${rel}: not in the sample`);
  return problems;
}

async function main(): Promise<void> {
  loadDotenv({ quiet: true }); // same .env as the server and the admin CLI (children inherit it)
  const server = (process.env.DATASAFE_SERVER || `http://127.0.0.1:${process.env.PORT || 8080}`).replace(/\/+$/, "");
  let child: ChildProcess | null = null;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "datasafe-demo-"));
  try {
    if (await get(`${server}/healthz`)) {
      step(`using the server at ${server}`);
    } else if (process.env.DATASAFE_SERVER) {
      throw new Error(`DATASAFE_SERVER=${server} does not answer /healthz (unset it to let the demo start a local server)`);
    } else {
      step(`no server at ${server}; starting one (server/main.ts all)`);
      child = await startServer(server);
    }

    const { studioId } = await cli<{ studioId: string }>("datasafe-admin.js", [
      "create-studio",
      "--name",
      "Demo Studio",
      "--owner-email",
      "owner@demo.example",
    ]);
    step(`studio ${studioId} created`);

    const sample = path.join(tmp, "sample");
    const dump = path.join(sample, "studio-db.sql");
    const photos = path.join(sample, "photos");
    await mkdir(sample);
    await writeDump(dump);
    await writePhotos(photos);
    step(`sample written in ${sample}`);

    const pc = (name: string): NodeJS.ProcessEnv => ({
      ...process.env,
      DATASAFE_HOME: path.join(tmp, name),
      DATASAFE_PASSPHRASE: PASSPHRASE,
    });
    const enroll = async (name: string) => {
      const { token } = await cli<{ token: string }>("datasafe-admin.js", ["enrollment-token", "--studio", studioId, "--ttl", "30m"]);
      await cli("datasafe.js", ["enroll", "--server", server, "--token", token, "--name", `demo-${name}`], pc(name));
      step(`demo-${name} enrolled`);
    };

    await enroll("pc-1");
    const first = await cli<BackupResult>("datasafe.js", ["backup", "--label", "demo", dump, photos], pc("pc-1"));
    step(`first backup: ${first.files} files, ${MB(first.bytesRead)} read, ${MB(first.bytesUploaded)} uploaded in ${s(first.durationMs)}`);
    const second = await cli<BackupResult>("datasafe.js", ["backup", "--label", "demo", dump, photos], pc("pc-1"));
    step(`second backup: ${second.bytesUploaded} bytes uploaded`);

    await enroll("pc-2");
    const restored = path.join(tmp, "restored");
    const restore = await cli<RestoreResult>("datasafe.js", ["restore", "latest", "--to", restored], pc("pc-2"));
    step(`restored ${restore.files} files on demo-pc-2`);

    const problems = await compare(sample, restored);
    if (problems.length) throw new Error(`the restore differs from the sample:\n  ${problems.slice(0, 20).join("\n  ")}`);

    process.stdout.write(
      [
        "",
        "DataSafe demo: OK",
        `  studio          ${studioId}`,
        `  first backup    ${MB(first.bytesRead)} read, ${MB(first.bytesUploaded)} uploaded, ${s(first.durationMs)}`,
        `  second backup   ${second.bytesUploaded} bytes uploaded (everything deduplicated)`,
        `  restore (pc-2)  ${restore.files} files, ${MB(restore.bytes)}, ${s(restore.durationMs)}`,
        "  identical: yes",
        "",
      ].join("\n"),
    );
  } finally {
    if (child) await stopServer(child);
    await rm(tmp, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  process.stderr.write(`\nDataSafe demo FAILED: ${(err as Error).message}\n`);
  process.exit(1);
}
