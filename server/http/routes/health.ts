// Liveness (the process runs) and readiness (Postgres, Redis and the blob store answer).
import type { Ctx } from "../../context.ts";
import { withTimeout } from "../../util/timeout.ts";
import type { Mount } from "../route-table.ts";

export type Probe = () => Promise<void>;

export function healthRoutes(mount: Mount, ctx: Ctx, redisPing: Probe): void {
  mount("healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  mount("readyz", async (_req, res) => {
    const probes: Record<string, Probe> = {
      postgres: async () => void (await ctx.db.$queryRaw`SELECT 1`),
      redis: redisPing,
      blobStore: () => ctx.blobs.ping(),
    };
    const checks: Record<string, "ok" | "down"> = {};
    await Promise.all(
      Object.entries(probes).map(async ([name, probe]) => {
        checks[name] = await withTimeout(probe(), 3000).then(
          () => "ok" as const,
          () => "down" as const,
        );
      }),
    );
    const ready = Object.values(checks).every((c) => c === "ok");
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", checks });
  });
}
