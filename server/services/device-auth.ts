// Device credentials: a JWT naming the device and its studio, for the device API only (`aud`),
// valid for DEVICE_TOKEN_TTL_SECONDS (`exp`), checked on every request against the device row
// (as read at most DEVICE_CACHE_TTL_MS ago), so a revoked or deleted device is locked out within
// that delay. An expired token is answered TOKEN_EXPIRED; the device renews it by signing a
// challenge with its certified key (device-tokens.ts), which a revoked device cannot.
import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { DEVICE_TOKEN_AUDIENCE, type DeviceToken } from "../../protocol/device-tokens.ts";
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";

export interface DevicePrincipal {
  deviceId: string;
  studioId: string;
  deviceName: string;
}

interface DeviceClaims {
  sub: string;
  sid: string;
  typ: "device";
}

/**
 * The HMAC key as a KeyObject: given a string, jsonwebtoken first tries to parse it as a public
 * key, which throws and costs ~290 us per request; a secret KeyObject verifies in ~6 us (bench).
 */
const keys = new Map<string, KeyObject>();
function hmacKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, "utf8"));
    keys.set(secret, key);
  }
  return key;
}

export function issueDeviceToken(ctx: Ctx, device: { id: string; studioId: string }): DeviceToken {
  const claims: DeviceClaims = { sub: device.id, sid: device.studioId, typ: "device" };
  const ttl = ctx.config.deviceTokenTtlSeconds;
  const iat = Math.floor(Date.now() / 1000);
  const accessToken = jwt.sign({ ...claims, iat }, hmacKey(ctx.config.jwtSecret), {
    algorithm: "HS256",
    issuer: "datasafe",
    audience: DEVICE_TOKEN_AUDIENCE,
    expiresIn: ttl,
  });
  return { accessToken, expiresAt: new Date((iat + ttl) * 1000).toISOString() };
}

/**
 * A device token from before tokens expired (no `aud`, no `exp`) whose signature verified: it is
 * treated as expired, so the uploader renews it by proving it holds the device key.
 */
function isLegacyDeviceToken(token: string): boolean {
  const payload = jwt.decode(token, { json: true });
  return payload?.typ === "device" && payload.aud === undefined && payload.exp === undefined;
}

/** How long a device row read for authentication is reused: the delay before a revocation takes effect. */
export const DEVICE_CACHE_TTL_MS = 5_000;
/** Devices remembered per process; the least recently used is forgotten beyond this. */
export const DEVICE_CACHE_MAX = 10_000;

type DeviceRow = { id: string; studioId: string; name: string; revokedAt: Date | null } | null;

/**
 * A bounded LRU of device rows by id, each kept `ttlMs` from when it was read. Every request
 * used to query the device row (a database round trip, ~1 ms of API CPU under load); a backup
 * sends thousands. Concurrent requests of one device share one read. Rows are cached whatever
 * they say (revoked or absent too), so a flood of requests for an unknown device costs one query
 * per `ttlMs`, not one each.
 */
export class DeviceCache {
  readonly #entries = new Map<string, { row: Promise<DeviceRow>; expires: number }>();

  constructor(
    private readonly load: (id: string) => Promise<DeviceRow>,
    private readonly ttlMs = DEVICE_CACHE_TTL_MS,
    private readonly max = DEVICE_CACHE_MAX,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): Promise<DeviceRow> {
    const t = this.now();
    const hit = this.#entries.get(id);
    this.#entries.delete(id);
    if (hit && hit.expires > t) {
      this.#entries.set(id, hit); // most recently used last
      return hit.row;
    }
    const entry = { row: this.load(id), expires: t + this.ttlMs };
    this.#entries.set(id, entry);
    // A failed read is not remembered: the next request asks the database again.
    entry.row.catch(() => {
      if (this.#entries.get(id) === entry) this.#entries.delete(id);
    });
    while (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
    return entry.row;
  }
}

const caches = new WeakMap<object, DeviceCache>();
function deviceCache(ctx: Ctx): DeviceCache {
  let cache = caches.get(ctx.db);
  if (!cache) {
    const db = ctx.db;
    cache = new DeviceCache((id) =>
      db.device.findUnique({ where: { id }, select: { id: true, studioId: true, name: true, revokedAt: true } }),
    );
    caches.set(db, cache);
  }
  return cache;
}

export async function authenticateDevice(ctx: Ctx, token: string): Promise<DevicePrincipal> {
  let claims: DeviceClaims;
  try {
    // jsonwebtoken compares signatures in constant time, then checks exp and aud; the algorithm
    // is pinned.
    claims = jwt.verify(token, hmacKey(ctx.config.jwtSecret), {
      algorithms: ["HS256"],
      issuer: "datasafe",
      audience: DEVICE_TOKEN_AUDIENCE,
    }) as DeviceClaims;
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw errors.tokenExpired();
    // An audience error comes only after the signature verified.
    if (err instanceof jwt.JsonWebTokenError && err.message.startsWith("jwt audience invalid") && isLegacyDeviceToken(token)) {
      throw errors.tokenExpired();
    }
    throw errors.unauthenticated();
  }
  if (claims.typ !== "device" || typeof claims.sub !== "string") throw errors.unauthenticated();
  const device = await deviceCache(ctx).get(claims.sub);
  if (!device || device.revokedAt || device.studioId !== claims.sid) throw errors.unauthenticated();
  return { deviceId: device.id, studioId: device.studioId, deviceName: device.name };
}
