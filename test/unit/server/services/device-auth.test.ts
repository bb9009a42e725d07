import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Ctx } from "../../../../server/context.ts";
import { authenticateDevice, DEVICE_CACHE_TTL_MS, DeviceCache, issueDeviceToken } from "../../../../server/services/device-auth.ts";

type Row = { id: string; studioId: string; name: string; revokedAt: Date | null };

describe("device authentication cache", () => {
  it("reuses a device row for the TTL, so a revocation takes effect within DEVICE_CACHE_TTL_MS", async () => {
    let now = 0;
    const rows = new Map<string, Row>([["d1", { id: "d1", studioId: "s1", name: "pc", revokedAt: null }]]);
    let reads = 0;
    const cache = new DeviceCache(
      async (id) => (reads++, rows.get(id) ?? null),
      5000,
      100,
      () => now,
    );
    assert.equal((await cache.get("d1"))?.revokedAt, null);
    rows.set("d1", { ...rows.get("d1")!, revokedAt: new Date() });
    now = 4999;
    assert.equal((await cache.get("d1"))?.revokedAt, null, "still the row read at t=0");
    assert.equal(reads, 1);
    now = 5000;
    assert.ok((await cache.get("d1"))?.revokedAt, "read again once the TTL has passed");
    assert.equal(reads, 2);
  });

  it("shares one read among concurrent requests, forgets failed reads, and stays bounded (LRU)", async () => {
    let reads = 0;
    let fail = true;
    const cache = new DeviceCache(
      async (id) => {
        reads++;
        await new Promise((r) => setTimeout(r, 5));
        if (fail && id === "x") throw new Error("db down");
        return { id, studioId: "s", name: "n", revokedAt: null };
      },
      60_000,
      3,
    );
    await Promise.all([cache.get("a"), cache.get("a"), cache.get("a")]);
    assert.equal(reads, 1);
    await assert.rejects(cache.get("x"));
    fail = false;
    assert.equal((await cache.get("x"))?.id, "x", "a failed read is not cached");
    await cache.get("b");
    await cache.get("a"); // a is now the most recently used
    await cache.get("c"); // evicts x, the least recently used
    assert.equal(cache.size, 3);
    const before = reads;
    await cache.get("a");
    assert.equal(reads, before, "a stayed cached");
    await cache.get("x");
    assert.equal(reads, before + 1, "x was evicted");
  });

  it("authenticateDevice reads the device row once per TTL, not once per request", async () => {
    let reads = 0;
    const row: Row = { id: "dev-1", studioId: "studio-1", name: "front desk", revokedAt: null };
    const ctx = {
      config: { jwtSecret: "s".repeat(32), deviceTokenTtlSeconds: 3600 },
      db: { device: { findUnique: async () => (reads++, row) } },
    } as unknown as Ctx;
    const token = issueDeviceToken(ctx, { id: row.id, studioId: row.studioId }).accessToken;
    for (let i = 0; i < 5; i++)
      assert.deepEqual(await authenticateDevice(ctx, token), { deviceId: "dev-1", studioId: "studio-1", deviceName: "front desk" });
    assert.equal(reads, 1);
    await assert.rejects(authenticateDevice(ctx, `${token}x`), "the signature is still checked on every request");
    assert.ok(DEVICE_CACHE_TTL_MS <= 5000);
  });
});
