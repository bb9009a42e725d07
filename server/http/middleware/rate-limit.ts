// Per-address rate limit for the routes a credential is obtained from (enrollment, token
// renewal). A token bucket per client address: `perMinute` requests in a burst, refilled at
// `perMinute` a minute. In process memory: each API replica counts alone, so N replicas allow N
// times the rate; for enrollment, where one stolen token is at stake and guessing happens offline
// anyway, that bound is enough (a shared limit would need Redis on the request path).
// The address is Express's req.ip, i.e. what TRUST_PROXY says to believe (config.ts).
import { isIPv6 } from "node:net";
import type { RequestHandler } from "express";
import { errors } from "../../errors.ts";

/** Addresses remembered; the least recently seen is forgotten beyond this (memory stays bounded). */
export const MAX_ADDRESSES = 50_000;

/**
 * The key an address is counted under: IPv6 by /64, the block one subscriber usually holds (one
 * host can use all of it), IPv4 (also as ::ffff:a.b.c.d) by address.
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return "unknown";
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = "", tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

export class AddressLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly max = MAX_ADDRESSES,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one request's token: 0 when allowed, else the seconds until the next one. */
  take(key: string): number {
    const t = this.now();
    const rate = this.perMinute / 60_000;
    const b = this.#buckets.get(key) ?? { tokens: this.perMinute, at: t };
    this.#buckets.delete(key);
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * rate);
    b.at = t;
    this.#buckets.set(key, b); // most recently seen last
    while (this.#buckets.size > this.max) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
  }
}

/** 429 RATE_LIMITED with Retry-After once the client's address is over its share. */
export function rateLimit(limiter: AddressLimiter): RequestHandler {
  return (req, _res, next) => {
    const wait = limiter.take(addressKey(req.ip));
    if (wait > 0) throw errors.rateLimited(wait);
    next();
  };
}
