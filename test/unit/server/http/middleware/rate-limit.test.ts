import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addressKey, AddressLimiter } from "../../../../../server/http/middleware/rate-limit.ts";

describe("per-address rate limit", () => {
  it("allows a burst of perMinute, then refills at perMinute a minute", () => {
    let now = 0;
    const limiter = new AddressLimiter(3, 100, () => now);
    assert.deepEqual(
      [1, 2, 3].map(() => limiter.take("a")),
      [0, 0, 0],
    );
    assert.equal(limiter.take("a"), 20, "one request back every 20 s");
    assert.equal(limiter.take("b"), 0, "another address has its own bucket");
    now = 20_000;
    assert.equal(limiter.take("a"), 0);
    assert.ok(limiter.take("a") > 0);
  });

  it("stays bounded: the least recently seen address is forgotten", () => {
    const limiter = new AddressLimiter(1, 2, () => 0);
    limiter.take("a");
    limiter.take("b");
    limiter.take("c");
    assert.equal(limiter.take("a"), 0, "a was forgotten");
  });

  it("counts IPv6 by /64 and IPv4-mapped addresses as IPv4", () => {
    assert.equal(addressKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    assert.equal(addressKey("2001:db8:1:2::ffff"), "2001:db8:1:2::/64");
    assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
    assert.equal(addressKey("::ffff:203.0.113.5"), "203.0.113.5");
    assert.equal(addressKey("203.0.113.5"), "203.0.113.5");
    assert.equal(addressKey(undefined), "unknown");
  });
});
