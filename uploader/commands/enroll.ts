// `datasafe enroll`: joins this PC to a studio. The first device of a studio creates the
// studio's keys (and shows the recovery key once); later devices unlock them with the
// passphrase to certify their own signing key. Nothing is stored until the server accepted us.
import os from "node:os";
import { certifyDevice, createStudioKeys, newDeviceSigningKey } from "../format/index.ts";
import { ApiClient } from "../api/client.ts";
import { localExpiry } from "../api/credentials.ts";
import { CliError, hasCode, usage } from "../errors.ts";
import { studioChunking, unlock } from "../studio-keys.ts";
import { checkNewPassphrase } from "../passphrase-strength.ts";
import { checkServerUrl } from "../server-url.ts";
import { deviceStateExists, saveDeviceState } from "../state.ts";

export interface EnrollOptions {
  home: string;
  server: string;
  token: string;
  name?: string;
  passphrase: () => Promise<string>;
}

export interface EnrollOutput {
  deviceId: string;
  deviceName: string;
  studioId: string;
  firstDevice: boolean;
  recoveryKey: string | null;
}

export async function enroll(o: EnrollOptions): Promise<EnrollOutput> {
  if (await deviceStateExists(o.home)) {
    throw usage(`this DATASAFE_HOME (${o.home}) already holds an enrolled device`);
  }
  const deviceName = (o.name ?? os.hostname()).trim();
  if (!deviceName || deviceName.length > 100 || /[\n\0]/.test(deviceName)) throw usage("device name must be 1-100 characters");
  const api = new ApiClient(checkServerUrl(o.server));
  const passphrase = await o.passphrase();

  for (let attempt = 0; attempt < 2; attempt++) {
    const found = await api.lookupEnrollment(o.token);
    // The first passphrase creates the keys: checked before anything is made (the token stays unused).
    if (found.keyset === null) checkNewPassphrase(passphrase);
    const created = found.keyset === null ? createStudioKeys(passphrase) : null;
    const secrets = created ? created.secrets : unlock(found.keyset, passphrase);
    const chunking = studioChunking(created?.keyset ?? found.keyset);
    const signing = newDeviceSigningKey();
    const certificate = certifyDevice(secrets, {
      studioId: found.studioId,
      deviceName,
      signPublicKey: signing.publicKey,
      issuedAt: new Date().toISOString(),
    });
    let result;
    try {
      result = await api.enroll({
        token: o.token,
        deviceName,
        signPublicKey: signing.publicKey.toString("base64"),
        certificate,
        ...(created ? { keyset: created.keyset } : {}),
      });
    } catch (err) {
      // Another first device won the race to create the keys: use theirs (same passphrase).
      if (hasCode(err, "KEYSET_EXISTS") && attempt === 0) continue;
      throw err;
    }
    await saveDeviceState(o.home, {
      version: 1,
      server: o.server,
      deviceId: result.deviceId,
      deviceName: result.deviceName,
      studioId: result.studioId,
      accessToken: result.accessToken,
      accessTokenExpiresAt: localExpiry(result.accessToken),
      studioBoxPublicKey: secrets.boxPublicKey.toString("base64"),
      studioSignPublicKey: secrets.signPublicKey.toString("base64"),
      chunkIdKey: secrets.chunkIdKey.toString("base64"),
      chunkerKey: secrets.chunkerKey.toString("base64"),
      chunking,
      signPrivateKey: signing.privateKeyB64,
      certificate,
    });
    return {
      deviceId: result.deviceId,
      deviceName: result.deviceName,
      studioId: result.studioId,
      firstDevice: result.firstDevice,
      recoveryKey: created?.recoveryKey ?? null,
    };
  }
  throw new CliError("ENROLL_RACE", "enrollment kept conflicting; try again");
}

export function describeEnrollment(r: EnrollOutput): string {
  return r.recoveryKey
    ? `enrolled "${r.deviceName}" as the first device of studio ${r.studioId}\n\nRECOVERY KEY (shown once; store it offline, it unlocks your backups if the passphrase is lost):\n  ${r.recoveryKey}`
    : `enrolled "${r.deviceName}" into studio ${r.studioId}`;
}
