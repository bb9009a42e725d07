// Studio keys for unit tests (scrypt made cheap), and the CryptoPool keys a backup and a restore
// give its workers: chunker, chunk-id key, a session key to seal, the box keys to open.
import type { PoolKeys } from "../../uploader/crypto/crypto-pool.ts";
import { createStudioKeys, HEAD_CHUNKER_PARAMS, newSessionKey } from "../../uploader/format/index.ts";

export const STUDIO = "studio-a";
export const { secrets } = createStudioKeys("pw", { scrypt: { N: 1024, r: 8, p: 1 } });
export const poolKeys: PoolKeys = {
  idKey: secrets.chunkIdKey,
  studioId: STUDIO,
  chunker: { key: secrets.chunkerKey, params: HEAD_CHUNKER_PARAMS },
  session: newSessionKey(secrets.boxPublicKey),
  box: { privateKey: secrets.boxPrivateKey, publicKey: secrets.boxPublicKey },
};
