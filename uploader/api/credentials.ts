// The device's server credential, renewed without the passphrase (protocol/device-tokens.ts):
// device tokens expire (a day by default), and the device gets a fresh one by signing a server
// challenge with the Ed25519 key the studio certified at enrollment (device.json holds it). So a
// PC that was off for months renews on its first request; a revoked one is refused and stays so.
//
// Contract:
// - call(fn) runs fn, an API request that reads `token` when it builds its headers. It renews
//   first when the token expires within RENEW_MARGIN (by this PC's clock, as recorded when the
//   token was obtained), and once more, then retries fn once, when the server answers 401
//   TOKEN_EXPIRED (a clock that is wrong, a token older than expiry). Any other error passes.
// - One renewal at a time per state: concurrent requests that find the token expired share it.
// - The new token replaces state.accessToken in place (every holder of that state object sees
//   it) and is saved to the DATASAFE_HOME the state was loaded from, unless that file now holds
//   another device (re-enrolled meanwhile).
import { sign } from "node:crypto";
import { deviceTokenChallengeBytes, type DeviceChallenge, type DeviceToken } from "../../protocol/device-tokens.ts";
import { hasCode } from "../errors.ts";
import { privateKeyFromB64 } from "../format/rawkeys.ts";
import { loadDeviceState, saveDeviceState, stateHome, type DeviceState } from "../state.ts";
import { ApiError } from "./api-error.ts";
import { jsonCall } from "./http-transport.ts";
import { DEFAULT_RETRY } from "./retry.ts";

/** Renew this long before expiry (at most a tenth of the token's lifetime). */
export const RENEW_MARGIN_MS = 5 * 60_000;

export interface Credentials {
  readonly token: string;
  call<T>(fn: () => Promise<T>): Promise<T>;
}

/** The token's lifetime from its own claims (exp - iat), in ms; null if it has none. */
function lifetimeMs(token: string): number | null {
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { iat?: unknown; exp?: unknown };
    return typeof claims.exp === "number" && typeof claims.iat === "number" && claims.exp > claims.iat
      ? (claims.exp - claims.iat) * 1000
      : null;
  } catch {
    return null;
  }
}

/** When a token obtained now expires by this PC's clock (state.accessTokenExpiresAt). */
export function localExpiry(token: string, now = Date.now()): string | undefined {
  const ms = lifetimeMs(token);
  return ms === null ? undefined : new Date(now + ms).toISOString();
}

const isExpired = (err: unknown) => err instanceof ApiError && err.status === 401 && hasCode(err, "TOKEN_EXPIRED");

export class DeviceCredentials implements Credentials {
  #renewing: Promise<void> | null = null;

  constructor(
    private readonly state: DeviceState,
    private readonly home: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get token(): string {
    return this.state.accessToken;
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.expiresSoon()) await this.renew(this.token);
    const used = this.token;
    try {
      return await fn();
    } catch (err) {
      if (!isExpired(err)) throw err;
      await this.renew(used);
      return fn();
    }
  }

  private expiresSoon(): boolean {
    const at = this.state.accessTokenExpiresAt;
    if (!at) return false;
    const margin = Math.min(RENEW_MARGIN_MS, (lifetimeMs(this.token) ?? RENEW_MARGIN_MS * 10) / 10);
    return Date.parse(at) - this.now() < margin;
  }

  /** Renews unless the token that was `rejected` has been replaced already. */
  renew(rejected: string): Promise<void> {
    if (this.state.accessToken !== rejected) return Promise.resolve();
    this.#renewing ??= this.exchange().finally(() => (this.#renewing = null));
    return this.#renewing;
  }

  private async exchange(): Promise<void> {
    const { server, deviceId } = this.state;
    const url = (path: string) => new URL(path, server.endsWith("/") ? server : `${server}/`).toString();
    const key = privateKeyFromB64(this.state.signPrivateKey);
    let fresh: DeviceToken | undefined;
    // A second try only if another process of this PC redeemed a newer challenge first.
    for (let attempt = 1; !fresh; attempt++) {
      const { nonce } = await jsonCall<DeviceChallenge>("POST", url("v1/devices/challenge"), {}, { deviceId }, DEFAULT_RETRY);
      const signature = sign(null, deviceTokenChallengeBytes(deviceId, nonce), key).toString("base64");
      try {
        fresh = await jsonCall<DeviceToken>("POST", url("v1/devices/token"), {}, { deviceId, nonce, signature }, DEFAULT_RETRY);
      } catch (err) {
        if (!(hasCode(err, "CHALLENGE_INVALID") && attempt < 2)) throw err;
      }
    }
    this.state.accessToken = fresh.accessToken;
    this.state.accessTokenExpiresAt = localExpiry(fresh.accessToken, this.now());
    if (this.home) await this.persist(this.home);
  }

  private async persist(home: string): Promise<void> {
    const onDisk = await loadDeviceState(home).catch(() => null);
    if (onDisk?.deviceId !== this.state.deviceId) return;
    await saveDeviceState(home, { ...onDisk, accessToken: this.state.accessToken, accessTokenExpiresAt: this.state.accessTokenExpiresAt });
  }
}

const shared = new WeakMap<DeviceState, DeviceCredentials>();

/** The one credential object of a loaded device state (one renewal at a time for all its clients). */
export function deviceCredentials(state: DeviceState): DeviceCredentials {
  let c = shared.get(state);
  if (!c) {
    c = new DeviceCredentials(state, stateHome(state));
    shared.set(state, c);
  }
  return c;
}
