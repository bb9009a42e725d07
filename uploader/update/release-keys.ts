// The release public keys this build trusts (release.ts): built in by the packager
// (`npm run package -- --release-key <base64>`, scripts/package.mjs), never read from the
// environment or a file a process on the PC could change. A checkout has none: it is updated by
// git, not by itself.
declare const DATASAFE_RELEASE_KEYS: string | undefined;

export function trustedReleaseKeys(): string[] {
  return typeof DATASAFE_RELEASE_KEYS === "string" ? DATASAFE_RELEASE_KEYS.split(",").filter(Boolean) : [];
}
