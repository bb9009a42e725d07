// The agent's version (package.json) and OS description, as reported in heartbeats.
import { readFileSync } from "node:fs";
import os from "node:os";

/** Set by the single executable's bundler (scripts/package.mjs): the executable has no package.json beside it. */
declare const DATASAFE_BUILD_VERSION: string | undefined;

export const AGENT_VERSION: string =
  typeof DATASAFE_BUILD_VERSION === "string"
    ? DATASAFE_BUILD_VERSION
    : (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** e.g. "linux 6.1.0-18-amd64 x64 (#1 SMP Debian ...)" or "win32 10.0.19045 x64 (Windows 10 Pro)". */
export function osDescription(): string {
  return `${os.platform()} ${os.release()} ${os.arch()} (${os.version()})`.slice(0, 100);
}
