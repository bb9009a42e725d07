// `datasafe version`: what this uploader is. The updater runs it on a downloaded executable before
// switching to it (self-update.ts): an executable that cannot answer this is not started for real.
import { isSea } from "node:sea";
import { AGENT_VERSION } from "../agent/version.ts";
import { trustedReleaseKeys } from "./release-keys.ts";

export function versionInfo(): { version: string; node: string; executable: boolean; selfUpdate: boolean } {
  const executable = isSea();
  return { version: AGENT_VERSION, node: process.versions.node, executable, selfUpdate: executable && trustedReleaseKeys().length > 0 };
}
