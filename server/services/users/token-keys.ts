// Signing keys of user access tokens: ES256 (ECDSA P-256) private keys as PKCS#8 PEM files in
// TOKEN_KEYS_DIR, one per file, the file name (without .pem) being the key id (`kid`). The last
// name in sort order signs; every key in the directory verifies. Rotation without logging
// anyone out: add a newer key (datasafe-admin token-key), and remove the old one once the
// tokens it signed have expired (ACCESS_TOKEN_TTL_SECONDS). A replica meeting a key id it does
// not know re-reads the directory (at most every RELOAD_MS), so replicas need no restart.
// An empty directory gets a generated key (with a warning): enough for one host; several API
// replicas must share the directory (a mounted secret or volume), or each would refuse the
// others' tokens.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../../config.ts";

export interface TokenKeys {
  /** The key that signs: the newest. */
  signing: { kid: string; privateKey: KeyObject };
  /** Every key that verifies, by id. */
  verify(kid: string): KeyObject | undefined;
}

const KID = /^[A-Za-z0-9_-]{1,64}$/;
const RELOAD_MS = 5_000;

export class TokenKeyError extends Error {}

function readKeys(dir: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  let names: string[] = [];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(".pem"))
      .sort();
  } catch {
    /* no directory: no keys */
  }
  for (const name of names) {
    const kid = name.slice(0, -4);
    if (!KID.test(kid)) throw new TokenKeyError(`${path.join(dir, name)}: a key id must be 1-64 of [A-Za-z0-9_-]`);
    const key = createPrivateKey(readFileSync(path.join(dir, name)));
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new TokenKeyError(`${path.join(dir, name)}: not an ECDSA P-256 private key (ES256)`);
    }
    keys.set(kid, key);
  }
  return keys;
}

/** Writes a new signing key whose id sorts after every existing one; returns its id. */
export function addTokenKey(dir: string, now = new Date()): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const kid = `k${now.toISOString().replace(/[-:.TZ]/g, "")}`;
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  writeFileSync(path.join(dir, `${kid}.pem`), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  return kid;
}

const loaded = new Map<string, TokenKeys>();

export function tokenKeys(config: Pick<Config, "tokenKeysDir">): TokenKeys {
  const dir = config.tokenKeysDir;
  const cached = loaded.get(dir);
  if (cached) return cached;
  let keys = readKeys(dir);
  if (keys.size === 0) {
    try {
      const kid = addTokenKey(dir);
      process.emitWarning(`TOKEN_KEYS_DIR held no signing key; generated ${kid} in ${dir} (API replicas must share this directory)`);
    } catch {
      /* another process wrote one at the same moment */
    }
    keys = readKeys(dir);
    if (keys.size === 0) throw new TokenKeyError(`TOKEN_KEYS_DIR (${dir}) holds no signing key and none could be written`);
  }
  let publics = new Map([...keys].map(([kid, k]) => [kid, createPublicKey(k)]));
  let readAt = Date.now();
  const newest = (): { kid: string; privateKey: KeyObject } => {
    const kid = [...keys.keys()].sort().at(-1)!;
    return { kid, privateKey: keys.get(kid)! };
  };
  const result: TokenKeys = {
    signing: newest(),
    verify(kid) {
      if (!publics.has(kid) && KID.test(kid) && Date.now() - readAt > RELOAD_MS) {
        readAt = Date.now();
        try {
          const fresh = readKeys(dir);
          if (fresh.size) {
            keys = fresh;
            publics = new Map([...keys].map(([k, v]) => [k, createPublicKey(v)]));
            result.signing = newest();
          }
        } catch {
          /* a half-written file: keep the keys we have */
        }
      }
      return publics.get(kid);
    },
  };
  loaded.set(dir, result);
  return result;
}
