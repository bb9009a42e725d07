// The uploader release the server hosts (protocol/release.ts, docs/releases.md): the operator
// publishes a signed release by copying release.json, release.sig and the executables into
// RELEASES_DIR. The server never signs and holds no release key; it serves exactly the files the
// manifest lists (plus the manifest and its signature), and the uploader checks everything itself.
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { releaseManifest, type ReleaseManifest } from "../../protocol/release.ts";
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";

const SIGNED_FILES = ["release.json", "release.sig"];

/** The published manifest, or null when none is (or it is unreadable: logged). */
export async function currentRelease(ctx: Ctx): Promise<ReleaseManifest | null> {
  let text: string;
  try {
    text = await readFile(path.join(ctx.config.releasesDir, "release.json"), "utf8");
  } catch {
    return null;
  }
  const parsed = releaseManifest.safeParse(JSON.parse(text));
  if (!parsed.success) ctx.log.warn({ dir: ctx.config.releasesDir }, "release.json is not a signed release manifest: not served");
  return parsed.success ? parsed.data : null;
}

/** A file of the current release, opened for streaming; 404 for anything the manifest does not list. */
export async function openReleaseFile(ctx: Ctx, name: string): Promise<{ size: number; stream: Readable }> {
  const release = await currentRelease(ctx);
  if (!release || !(SIGNED_FILES.includes(name) || release.files.some((f) => f.name === name))) throw errors.notFound("release file");
  const file = path.join(ctx.config.releasesDir, name);
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) throw errors.notFound("release file");
  return { size: st.size, stream: createReadStream(file) };
}
