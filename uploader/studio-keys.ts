// Unlocking the studio's keys with the passphrase, with errors a user can act on.
import { FormatError, unlockWithPassphrase, type Keyset, type StudioSecrets } from "./format/index.ts";
import { badPassphrase, CliError, EXIT } from "./errors.ts";

export function unlock(keyset: unknown, passphrase: string): StudioSecrets {
  try {
    return unlockWithPassphrase(keyset as Keyset, passphrase);
  } catch (err) {
    if (err instanceof FormatError && err.code === "BAD_PASSPHRASE") throw badPassphrase();
    throw new CliError("KEYSET_INVALID", `the studio's keys are unreadable (${(err as Error).message})`, EXIT.error);
  }
}
