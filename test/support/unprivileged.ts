// Making a file unreadable to the uploader under test. For a normal user, mode 000 does it; root
// reads anything (capabilities CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH), so when the tests run
// as root the uploader runs without those two capabilities (setpriv, util-linux): still uid 0 and
// still the owner of the checkout and of the test's files, so it runs wherever the checkout is.
// (Running it as `nobody` instead failed with exit 1 from a checkout in a folder that user cannot
// enter: root's home folder, a `mktemp -d` folder.)
import { spawnSync } from "node:child_process";

export const RUNNING_AS_ROOT = process.getuid?.() === 0;

let checked = false;

/** The command and arguments that start `command args` so that it cannot read a mode-000 file. */
export function withoutReadOverride(command: string, args: readonly string[]): [string, string[]] {
  if (!RUNNING_AS_ROOT) return [command, [...args]];
  if (!checked) {
    const probe = spawnSync("setpriv", ["--version"], { stdio: "ignore" });
    if (probe.error || probe.status !== 0) throw new Error("tests running as root need setpriv (util-linux) to make a file unreadable");
    checked = true;
  }
  return ["setpriv", ["--bounding-set=-dac_override,-dac_read_search", "--", command, ...args]];
}
