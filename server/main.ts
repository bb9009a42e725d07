// Process entry point: `main.ts api|worker|all`. API and worker are stateless; run any number
// of each against the same Postgres, Redis and blob store.
import type { Server } from "node:http";
import { ConfigError, loadConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { startWorker } from "./jobs/worker.ts";
import { createRuntime } from "./runtime.ts";

const role = process.argv[2] ?? "all";
if (!["api", "worker", "all"].includes(role)) {
  console.error(`usage: main.ts api|worker|all (got "${role}")`);
  process.exit(2);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78); // EX_CONFIG
  }
  throw err;
}

const runtime = await createRuntime(config, `datasafe-${role}`);
const { ctx } = runtime;
const closers: Array<() => Promise<unknown>> = [() => runtime.close()];

if (role === "api" || role === "all") {
  const app = createApp(ctx, { redisPing: runtime.redisPing, queue: runtime.queue() });
  const server: Server = app.listen(config.port, () => {
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : config.port;
    ctx.log.info({ port, store: ctx.blobs.name }, "api listening");
  });
  closers.unshift(() => new Promise((resolve) => server.close(resolve)));
}
if (role === "worker" || role === "all") {
  const worker = startWorker(ctx, runtime.queue());
  closers.unshift(() => worker.close());
  ctx.log.info("worker started");
}

const SHUTDOWN_GRACE_MS = 10_000;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    ctx.log.info({ signal }, "shutting down");
    // Bounded: a long integrity job must not hold the process. Its BullMQ lock then expires and
    // another worker finishes it (jobs are idempotent; Postgres holds the state).
    setTimeout(() => {
      ctx.log.warn("graceful shutdown timed out; exiting");
      process.exit(0);
    }, SHUTDOWN_GRACE_MS).unref();
    for (const close of closers) await close().catch(() => undefined);
    process.exit(0);
  });
}
