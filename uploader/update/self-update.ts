// One self-update step of the single executable (the agent calls it while idle, never during a
// backup): fetch the server's release, check it (release.ts), download the executable for this
// PC to a file beside the running one while hashing it, try it (`<new> version --json` must answer
// with the release's version within 30 s), then swap: the running file becomes `<exe>.previous`
// and the new one takes its name, each by one rename. Any failure before the last rename leaves
// the running executable as it was; the caller restarts into the new one (the service manager
// starts the agent again when it exits). What this PC has accepted is remembered in
// DATASAFE_HOME/update.json, so an older manifest is refused even if it is still within its expiry.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { compareVersions } from "../../protocol/release.ts";
import { ReleaseRefused, releaseSignature, verifyRelease, type Target } from "./release.ts";

const run = promisify(execFile);
const TRY_TIMEOUT_MS = 30_000;
const MAX_MANIFEST_BYTES = 64 * 1024;

export interface UpdateOptions {
  server: string;
  /** The running executable (process.execPath of the single executable). */
  exePath: string;
  target: Target;
  current: string;
  trustedKeys: readonly string[];
  home: string;
  now: Date;
}

export type UpdateOutcome =
  { result: "current"; version: string } | { result: "updated"; from: string; to: string } | { result: "refused"; reason: string };

interface UpdateState {
  /** The newest version this PC accepted: never go below it. */
  highestVersion: string;
}

export async function updateOnce(o: UpdateOptions): Promise<UpdateOutcome> {
  const [bytes, sigBytes] = await Promise.all([fetchBytes(o.server, "release.json"), fetchBytes(o.server, "release.sig")]);
  let manifest;
  try {
    manifest = verifyRelease(bytes, releaseSignature.parse(JSON.parse(sigBytes.toString("utf8"))), o.trustedKeys, o.now);
  } catch (err) {
    if (err instanceof ReleaseRefused || err instanceof SyntaxError) return { result: "refused", reason: err.message };
    throw err;
  }
  const state = await readState(o.home);
  const floor = state && compareVersions(state.highestVersion, o.current) > 0 ? state.highestVersion : o.current;
  if (compareVersions(manifest.version, floor) < 0)
    return { result: "refused", reason: `release ${manifest.version} is older than ${floor}` };
  if (compareVersions(manifest.version, o.current) <= 0) return { result: "current", version: o.current };
  const file = manifest.files.find((f) => f.target === o.target);
  if (!file) return { result: "refused", reason: `release ${manifest.version} has no executable for ${o.target}` };

  const fresh = `${o.exePath}.download`;
  try {
    const got = await download(o.server, file.name, fresh, file.size);
    if (got.size !== file.size || got.sha256 !== file.sha256) {
      return {
        result: "refused",
        reason: `${file.name}: ${got.size} bytes, SHA-256 ${got.sha256}; the signed release says ${file.size}, ${file.sha256}`,
      };
    }
    await chmod(fresh, 0o755);
    const tried = await tryStart(fresh);
    if (tried !== manifest.version) return { result: "refused", reason: `${file.name} did not start as ${manifest.version}: ${tried}` };
    await rm(`${o.exePath}.previous`, { force: true });
    await rename(o.exePath, `${o.exePath}.previous`);
    await rename(fresh, o.exePath);
  } catch (err) {
    if (err instanceof ReleaseRefused) return { result: "refused", reason: err.message };
    throw err;
  } finally {
    await rm(fresh, { force: true });
  }
  await writeState(o.home, { highestVersion: manifest.version });
  return { result: "updated", from: o.current, to: manifest.version };
}

async function fetchBytes(server: string, name: string): Promise<Buffer> {
  const res = await fetch(new URL(`/downloads/${name}`, server));
  if (!res.ok) throw new Error(`GET /downloads/${name}: ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_MANIFEST_BYTES) throw new Error(`/downloads/${name} is larger than ${MAX_MANIFEST_BYTES} bytes`);
  return body;
}

/** Streams /downloads/<name> into `to`, hashing it; stops past `limit` bytes (a hostile server). */
async function download(server: string, name: string, to: string, limit: number): Promise<{ size: number; sha256: string }> {
  const res = await fetch(new URL(`/downloads/${encodeURIComponent(name)}`, server));
  if (!res.ok || !res.body) throw new Error(`GET /downloads/${name}: ${res.status}`);
  const hash = createHash("sha256");
  let size = 0;
  await pipeline(
    Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const piece of source) {
        size += piece.length;
        if (size > limit) throw new ReleaseRefused(`${name} is larger than the signed release says (${limit} bytes)`);
        hash.update(piece);
        yield piece;
      }
    },
    createWriteStream(to, { mode: 0o700 }),
  );
  return { size, sha256: hash.digest("hex") };
}

/** The version the executable at `file` reports, or why it did not start. */
async function tryStart(file: string): Promise<string> {
  try {
    const { stdout } = await run(file, ["--json", "version"], { timeout: TRY_TIMEOUT_MS, cwd: path.dirname(file) });
    return String((JSON.parse(stdout) as { version?: unknown }).version);
  } catch (err) {
    return (err as Error).message.slice(0, 200);
  }
}

async function readState(home: string): Promise<UpdateState | null> {
  try {
    return JSON.parse(await readFile(path.join(home, "update.json"), "utf8")) as UpdateState;
  } catch {
    return null;
  }
}

async function writeState(home: string, s: UpdateState): Promise<void> {
  const file = path.join(home, "update.json");
  await writeFile(`${file}.tmp`, JSON.stringify(s));
  await rename(`${file}.tmp`, file);
}
