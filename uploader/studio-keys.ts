// Unlocking the studio's keys with the passphrase, with errors a user can act on.
import {
  FormatError,
  keysetChunking,
  unlockWithPassphrase,
  unlockWithPassphraseAsync,
  type Keyset,
  type StudioSecrets,
} from "./format/index.ts";
import { badPassphrase, CliError } from "./errors.ts";

export function unlock(keyset: unknown, passphrase: string): StudioSecrets {
  try {
    return unlockWithPassphrase(keyset as Keyset, passphrase);
  } catch (err) {
    throw unlockError(err);
  }
}

/** unlock() with the key derivation off the main thread: the caller's downloads go on meanwhile. */
export async function unlockAsync(keyset: unknown, passphrase: string): Promise<StudioSecrets> {
  try {
    return await unlockWithPassphraseAsync(keyset as Keyset, passphrase);
  } catch (err) {
    throw unlockError(err);
  }
}

function unlockError(err: unknown): CliError {
  if (err instanceof FormatError && err.code === "BAD_PASSPHRASE") return badPassphrase();
  return new CliError("KEYSET_INVALID", `the studio's keys are unreadable (${(err as Error).message})`);
}

/** The studio's chunking scheme from its keyset; one this uploader does not know is refused. */
export function studioChunking(keyset: unknown): 1 | 2 | 3 {
  try {
    return keysetChunking(keyset as Keyset);
  } catch (err) {
    throw new CliError("KEYSET_UNSUPPORTED", `the studio's keys need a newer datasafe (${(err as Error).message})`);
  }
}
