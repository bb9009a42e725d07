// What a device keeps in DATASAFE_HOME/device.json (mode 0600). Write-only by design: it can
// create restore points but not decrypt them (FORMAT.md, "What a stolen PC can learn"):
// the chunk-id and chunker keys (needed to dedup), the device's signing key and certificate,
// the studio's PUBLIC keys, and the server credential. No studio private key, no passphrase.
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { CliError, notEnrolled } from "./errors.ts";

const b64 = z.string().regex(/^[A-Za-z0-9+/]+=*$/);

const deviceStateSchema = z.object({
  version: z.literal(1),
  server: z.url(),
  deviceId: z.uuid(),
  deviceName: z.string().min(1),
  studioId: z.uuid(),
  accessToken: z.string().min(1),
  /**
   * When accessToken expires by THIS PC's clock (obtained at + the token's lifetime), so a wrong
   * clock does not make it renew on every call; absent for tokens from before they expired.
   */
  accessTokenExpiresAt: z.iso.datetime().optional(),
  studioBoxPublicKey: b64,
  studioSignPublicKey: b64,
  chunkIdKey: b64,
  chunkerKey: b64,
  /** The studio's chunking scheme (format/chunker.ts), from its keyset; devices enrolled before schemes existed: 1. */
  chunking: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(1),
  signPrivateKey: b64,
  certificate: z.object({
    studioId: z.string(),
    deviceName: z.string(),
    signPublicKey: z.string(),
    issuedAt: z.string(),
    signature: z.string(),
  }),
});

export type DeviceState = z.infer<typeof deviceStateSchema>;

const FILE = "device.json";

/** The DATASAFE_HOME each loaded state came from: a renewed token is saved back there (api/credentials.ts). */
const homes = new WeakMap<DeviceState, string>();
export function stateHome(state: DeviceState): string | undefined {
  return homes.get(state);
}

export async function loadDeviceState(home: string): Promise<DeviceState> {
  let text: string;
  try {
    text = await readFile(path.join(home, FILE), "utf8");
  } catch {
    throw notEnrolled();
  }
  const parsed = deviceStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new CliError("STATE_CORRUPT", `${path.join(home, FILE)} is damaged; enroll this device again`);
  }
  homes.set(parsed.data, home);
  return parsed.data;
}

export async function deviceStateExists(home: string): Promise<boolean> {
  return loadDeviceState(home).then(
    () => true,
    () => false,
  );
}

/** Atomic replace (temp file + rename), readable by the owner only. */
export async function saveDeviceState(home: string, state: DeviceState): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const tmp = path.join(home, `${FILE}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(deviceStateSchema.parse(state), null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path.join(home, FILE));
}
