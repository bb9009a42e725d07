// GET /metrics in the Prometheus text format: this process's counters (server/metrics.ts) plus
// the integrity queue's job counts read from Redis at scrape time. With METRICS_TOKEN set it
// requires `Authorization: Bearer <token>` (compared in constant time).
import { createHash, timingSafeEqual } from "node:crypto";
import { Gauge } from "prom-client";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { JOB_STATES as STATES, queueCounts, type IntegrityQueue } from "../../jobs/queues.ts";
import { registry } from "../../metrics.ts";
import type { Mount } from "../route-table.ts";

export function metricsRoutes(mount: Mount, ctx: Ctx, queue: IntegrityQueue): void {
  const expected = ctx.config.metricsToken ? digest(`Bearer ${ctx.config.metricsToken}`) : null;
  const jobs =
    (registry.getSingleMetric("datasafe_queue_jobs") as Gauge<"queue" | "state"> | undefined) ??
    new Gauge({
      name: "datasafe_queue_jobs",
      help: "Jobs in the integrity queue by state",
      labelNames: ["queue", "state"],
      registers: [registry],
    });
  mount("metrics", async (req, res) => {
    if (expected && !timingSafeEqual(digest(req.get("authorization") ?? ""), expected)) throw errors.unauthenticated();
    const counts = await queueCounts(queue).catch(() => null); // Redis down: serve the rest
    if (counts) for (const s of STATES) jobs.set({ queue: queue.name, state: s }, counts[s] ?? 0);
    res.setHeader("Content-Type", registry.contentType);
    res.send(await registry.metrics());
  });
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest(); // equal lengths for timingSafeEqual
}
