// The Express application: routes are thin (validate -> authorize -> service -> present).
import express, { type Express } from "express";
import type { Ctx } from "../context.ts";
import type { IntegrityQueue } from "../jobs/queues.ts";
import { errors } from "../errors.ts";
import { errorHandler } from "./error-handler.ts";
import { requireDevice } from "./middleware/auth.ts";
import { jsonBody } from "./middleware/json-body.ts";
import { requestLog } from "./middleware/request-log.ts";
import { limitDownloads, limitUploads } from "./middleware/upload-limit.ts";
import { chunkRoutes } from "./routes/chunks.ts";
import { deviceTokenRoutes } from "./routes/device-tokens.ts";
import { directChunkRoutes } from "./routes/direct-chunks.ts";
import { enrollmentRoutes } from "./routes/enrollments.ts";
import { heartbeatRoutes } from "./routes/heartbeats.ts";
import { healthRoutes, type Probe } from "./routes/health.ts";
import { integrityRoutes } from "./routes/integrity.ts";
import { keysetRoutes } from "./routes/keyset.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { packRoutes } from "./routes/packs.ts";
import { restorePointRoutes } from "./routes/restore-points.ts";

export function createApp(ctx: Ctx, deps: { redisPing: Probe; queue: IntegrityQueue }): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  // Which forwarded address is the client's (per-address rate limits): config.ts, TRUST_PROXY.
  app.set("trust proxy", ctx.config.trustProxy);
  app.use(requestLog(ctx.log));
  app.use(healthRoutes(ctx, deps.redisPing));
  app.use(metricsRoutes(ctx, deps.queue));

  const v1 = express.Router();
  v1.use(jsonBody());
  v1.use(enrollmentRoutes(ctx));
  v1.use(deviceTokenRoutes(ctx));
  v1.use(requireDevice(ctx));
  const limits = { perProcess: ctx.config.maxUploadsInFlight, perDevice: ctx.config.maxUploadsPerDevice };
  const uploads = limitUploads(limits);
  v1.use(chunkRoutes(ctx, limitDownloads(limits)));
  v1.use(directChunkRoutes(ctx));
  v1.use(packRoutes(ctx, uploads));
  v1.use(keysetRoutes(ctx));
  v1.use(restorePointRoutes(ctx));
  v1.use(integrityRoutes(ctx));
  v1.use(heartbeatRoutes(ctx));
  app.use("/v1", v1);

  app.use((_req, _res, next) => next(errors.notFound("route")));
  app.use(errorHandler(ctx.log));
  return app;
}
