// A release of the uploader as the server hosts it under /downloads: the manifest (release.json)
// and its signature (release.sig). The server only serves them; the uploader checks them
// (uploader/update/release.ts) and the operator makes them (scripts/release.ts). docs/releases.md.
import { z } from "zod";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const VERSION = /^\d{1,6}\.\d{1,6}\.\d{1,6}$/;
const version = z.string().regex(VERSION, "a version is MAJOR.MINOR.PATCH");

/** -1, 0 or 1 as version a is older than, equal to or newer than b (MAJOR.MINOR.PATCH). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1;
  return 0;
}

/** Whether an agent reporting `agentVersion` runs an older uploader than `release`; null when it says no MAJOR.MINOR.PATCH. */
export function isBehind(agentVersion: string, release: string): boolean | null {
  return VERSION.test(agentVersion) ? compareVersions(agentVersion, release) < 0 : null;
}

export const TARGETS = ["linux-x64", "win-x64"] as const;
export type Target = (typeof TARGETS)[number];

export const releaseManifest = z.object({
  version,
  node: z.string().max(40),
  bundleSha256: hex64,
  workerSha256: hex64,
  files: z
    .array(
      z.object({
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/),
        target: z.enum(TARGETS),
        size: z.number().int().positive(),
        sha256: hex64,
      }),
    )
    .min(1)
    .max(16),
  signedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type ReleaseManifest = z.infer<typeof releaseManifest>;

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .max(200);
export const releaseSignature = z.object({
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: base64,
  /** Keys endorsed by a trusted key, in order: each signed by a key trusted before it. */
  endorsements: z
    .array(z.object({ publicKey: base64, signature: base64 }))
    .max(8)
    .default([]),
});
export type ReleaseSignature = z.infer<typeof releaseSignature>;

/** GET /downloads/:file: a plain file name, never a path. */
export const downloadParams = z.object({ file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/) });
