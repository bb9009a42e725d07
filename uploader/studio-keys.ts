// Unlocking the studio's keys with the passphrase, with errors a user can act on.
import { FormatError, keysetChunking, unlockWithPassphrase, type Keyset, type StudioSecrets } from "./format/index.ts";
import { badPassphrase, CliError, EXIT } from "./errors.ts";

export function unlock(keyset: unknown, passphrase: string): StudioSecrets {
  try {
    return unlockWithPassphrase(keyset as Keyset, passphrase);
  } catch (err) {
    if (err instanceof FormatError && err.code === "BAD_PASSPHRASE") throw badPassphrase();
    throw new CliError("KEYSET_INVALID", `the studio's keys are unreadable (${(err as Error).message})`, EXIT.error);
  }
}

/** The studio's chunking scheme from its keyset; one this uploader does not know is refused. */
export function studioChunking(keyset: unknown): 1 | 2 {
  try {
    return keysetChunking(keyset as Keyset);
  } catch (err) {
    throw new CliError("KEYSET_UNSUPPORTED", `the studio's keys need a newer datasafe (${(err as Error).message})`, EXIT.error);
  }
}
