// Unlocking a studio's keyset with the passphrase or the recovery key (FORMAT.md §5): the one
// implementation the CLI (keys.ts unlockWith*Async, on node-primitives.ts) and the browser's
// restore page (on web-primitives.ts) both run. Pure: the primitives come in as an argument.
import { b64ToBytes, bytesEqual } from "./bytes.ts";
import { FORMAT_VERSION, NONCE_SIZE, TAG_SIZE } from "./constants.ts";
import { FormatError } from "./errors.ts";
import { checkScrypt, keysetAad, keysetPublicKeys, SECRETS_SIZE, type Keyset, type WrappedSecrets } from "./keys-shape.ts";
import type { FormatPrimitives } from "./primitives.ts";
import { parseRecoveryKey } from "./recovery.ts";

/** The studio's secrets as raw bytes (keys.ts turns them into Node KeyObjects for the CLI). */
export interface RawStudioSecrets {
  boxPrivateKey: Uint8Array;
  /** The Ed25519 seed (RFC 8032's private key). */
  signPrivateKey: Uint8Array;
  boxPublicKey: Uint8Array;
  signPublicKey: Uint8Array;
  chunkIdKey: Uint8Array;
  chunkerKey: Uint8Array;
}

export type UnlockSecret = { passphrase: string } | { recoveryKey: string };

const RECOVERY_INFO = "datasafe/v1/recovery";

/** KEK from the passphrase: scrypt of its NFC form (the same passphrase typed on macOS and Windows matches). */
async function passphraseKek(p: FormatPrimitives, keyset: Keyset, passphrase: string): Promise<Uint8Array> {
  const kdf = keyset.passphrase?.kdf;
  if (kdf?.alg !== "scrypt") throw new FormatError("BAD_KEYSET", "unknown kdf");
  const salt = b64ToBytes(kdf.salt, null, "kdf salt");
  const cost = { N: kdf.N, r: kdf.r, p: kdf.p };
  checkScrypt(cost); // before deriving: the keyset comes from the server
  return p.scrypt(new TextEncoder().encode(passphrase.normalize("NFC")), salt, cost, 32);
}

async function unwrap(
  p: FormatPrimitives,
  kek: Uint8Array,
  aad: Uint8Array,
  w: WrappedSecrets,
  failure: "BAD_PASSPHRASE" | "BAD_RECOVERY_KEY",
) {
  const nonce = b64ToBytes(w?.nonce, NONCE_SIZE, "keyset nonce");
  const sealed = b64ToBytes(w?.ciphertext, null, "keyset ciphertext");
  if (sealed.length < TAG_SIZE) throw new FormatError("BAD_KEYSET", "ciphertext too short");
  try {
    return await p.aesGcmDecrypt(kek, nonce, aad, sealed);
  } catch (err) {
    // GCM cannot tell a wrong secret from a tampered keyset; the wrong secret is the likely case.
    throw new FormatError(failure, failure === "BAD_PASSPHRASE" ? "wrong passphrase" : "wrong recovery key", { cause: err });
  }
}

/**
 * The studio's secrets, unwrapped with the passphrase or the recovery key; the public keys they
 * derive must be the keyset's (KEYSET_MISMATCH, defence in depth).
 */
export async function unlockKeyset(p: FormatPrimitives, keyset: Keyset, secret: UnlockSecret): Promise<RawStudioSecrets> {
  const { box, sign } = keysetPublicKeys(keyset);
  const aad = keysetAad(box, sign);
  const plain =
    "passphrase" in secret
      ? await unwrap(p, await passphraseKek(p, keyset, secret.passphrase), aad, keyset.passphrase, "BAD_PASSPHRASE")
      : await unwrap(
          p,
          await p.hkdfSha256(parseRecoveryKey(secret.recoveryKey), new Uint8Array(0), RECOVERY_INFO, 32),
          aad,
          keyset.recovery,
          "BAD_RECOVERY_KEY",
        );
  if (plain.length !== SECRETS_SIZE || plain[0] !== FORMAT_VERSION) throw new FormatError("BAD_KEYSET", "secrets blob");
  const part = (i: number) => Uint8Array.from(plain.subarray(1 + 32 * i, 33 + 32 * i));
  const secrets: RawStudioSecrets = {
    boxPrivateKey: part(0),
    signPrivateKey: part(1),
    chunkIdKey: part(2),
    chunkerKey: part(3),
    boxPublicKey: new Uint8Array(0),
    signPublicKey: new Uint8Array(0),
  };
  plain.fill(0);
  secrets.boxPublicKey = await p.x25519PublicKey(secrets.boxPrivateKey);
  secrets.signPublicKey = await p.ed25519PublicKey(secrets.signPrivateKey);
  if (!bytesEqual(secrets.boxPublicKey, box) || !bytesEqual(secrets.signPublicKey, sign)) {
    throw new FormatError("KEYSET_MISMATCH", "keyset public keys do not match its secrets");
  }
  return secrets;
}
