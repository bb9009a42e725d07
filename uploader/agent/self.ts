// How this program starts itself again (a service's command line, a restart after an update): the
// executable alone when it is the single executable (scripts/package.mjs), else Node and the
// checkout's bin/datasafe.js.
import { isSea } from "node:sea";
import { fileURLToPath } from "node:url";

export interface SelfCommand {
  /** The program to run: the single executable, or Node. */
  node: string;
  /** The script Node runs; absent for the single executable. */
  script?: string;
}

export function selfCommand(): SelfCommand {
  if (isSea()) return { node: process.execPath };
  return { node: process.execPath, script: fileURLToPath(new URL("../../bin/datasafe.js", import.meta.url)) };
}
