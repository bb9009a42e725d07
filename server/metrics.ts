// Prometheus metrics of this process (GET /metrics, server/http/routes/metrics.ts). Counters are
// per process, as Prometheus expects (it sums over the scraped processes); gauges that describe
// shared state (queue depth, damaged restore points) are read at scrape time from Redis and
// Postgres by the route, so any API process reports them.
import { Counter, Registry, collectDefaultMetrics } from "prom-client";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "datasafe_" });

export const metrics = {
  httpResponses: new Counter({
    name: "datasafe_http_responses_total",
    help: "API responses by status code (health and metrics routes not counted)",
    labelNames: ["status"],
    registers: [registry],
  }),
  uploadsBusy: new Counter({
    name: "datasafe_uploads_busy_total",
    help: "Chunk uploads answered 429 because the in-flight upload budget stayed full",
    registers: [registry],
  }),
  jobsProcessed: new Counter({
    name: "datasafe_jobs_processed_total",
    help: "Background jobs completed",
    labelNames: ["name"],
    registers: [registry],
  }),
  jobsFailed: new Counter({
    name: "datasafe_jobs_failed_total",
    help: "Background job attempts that failed (final: no retry left or permanent error)",
    labelNames: ["name", "final"],
    registers: [registry],
  }),
  chunksChecked: new Counter({
    name: "datasafe_integrity_chunks_checked_total",
    help: "Chunk objects checked, by mode (read or stat)",
    labelNames: ["mode"],
    registers: [registry],
  }),
  bytesVerified: new Counter({
    name: "datasafe_integrity_bytes_verified_total",
    help: "Stored bytes re-read and hashed by integrity checks",
    registers: [registry],
  }),
  damagedChunksFound: new Counter({
    name: "datasafe_integrity_damaged_chunks_found_total",
    help: "Chunks newly found damaged, by source (server check or signed client report)",
    labelNames: ["source"],
    registers: [registry],
  }),
  chunksRepaired: new Counter({
    name: "datasafe_integrity_chunks_repaired_total",
    help: "Damaged chunks replaced by a new upload",
    registers: [registry],
  }),
};
