// The Express application: routes are thin (validate -> authorize -> service -> present). Every
// route is mounted from the route table (protocol/routes.ts, http/route-table.ts), which puts
// its audience's authentication and authorization in front of it.
import express, { type Express } from "express";
import type { Ctx } from "../context.ts";
import type { IntegrityQueue } from "../jobs/queues.ts";
import { errors } from "../errors.ts";
import { tokenKeys } from "../services/users/token-keys.ts";
import { errorHandler } from "./error-handler.ts";
import { jsonBody } from "./middleware/json-body.ts";
import { requestLog } from "./middleware/request-log.ts";
import { limitDownloads, limitUploads } from "./middleware/upload-limit.ts";
import { RouteTable } from "./route-table.ts";
import { adminRoutes } from "./routes/admin.ts";
import { apiDocsRoutes } from "./routes/api-docs.ts";
import { alertRoutes } from "./routes/alerts.ts";
import { chunkRoutes } from "./routes/chunks.ts";
import { deviceTokenRoutes } from "./routes/device-tokens.ts";
import { directChunkRoutes } from "./routes/direct-chunks.ts";
import { enrollmentRoutes } from "./routes/enrollments.ts";
import { heartbeatRoutes } from "./routes/heartbeats.ts";
import { downloadRoutes } from "./routes/downloads.ts";
import { healthRoutes, type Probe } from "./routes/health.ts";
import { integrityRoutes } from "./routes/integrity.ts";
import { keysetRoutes } from "./routes/keyset.ts";
import { ownerRestoreRoutes } from "./routes/owner-restore.ts";
import { meRoutes } from "./routes/me.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { packRoutes } from "./routes/packs.ts";
import { restorePointRoutes } from "./routes/restore-points.ts";
import { runRoutes } from "./routes/runs.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { studioRoutes } from "./routes/studios.ts";
import { supportRoutes } from "./routes/support.ts";
import { supportAccessRoutes } from "./routes/support-access.ts";
import { retentionRoutes } from "./routes/retention.ts";
import { totpRoutes } from "./routes/totp.ts";
import { WEB_PREFIX, webRoutes } from "../web/serve.ts";
import { usageRoutes } from "./routes/usage.ts";

export function createApp(ctx: Ctx, deps: { redisPing: Probe; queue: IntegrityQueue }): Express {
  tokenKeys(ctx.config); // a missing or unreadable signing key stops the start, not the first sign-in
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  // Which forwarded address is the client's (per-address rate limits): config.ts, TRUST_PROXY.
  app.set("trust proxy", ctx.config.trustProxy);
  app.use(requestLog(ctx.log));
  app.use("/v1", jsonBody());

  const router = express.Router();
  const table = new RouteTable(ctx, router);
  const { mount } = table;
  healthRoutes(mount, ctx, deps.redisPing);
  metricsRoutes(mount, ctx, deps.queue);
  downloadRoutes(mount, ctx);
  enrollmentRoutes(mount, ctx);
  deviceTokenRoutes(mount, ctx);
  const limits = { perProcess: ctx.config.maxUploadsInFlight, perDevice: ctx.config.maxUploadsPerDevice };
  const uploads = limitUploads(limits);
  const downloads = limitDownloads(limits);
  chunkRoutes(mount, ctx, downloads);
  ownerRestoreRoutes(mount, ctx, downloads);
  directChunkRoutes(mount, ctx);
  packRoutes(mount, ctx, uploads);
  keysetRoutes(mount, ctx);
  restorePointRoutes(mount, ctx);
  integrityRoutes(mount, ctx);
  heartbeatRoutes(mount, ctx);
  runRoutes(mount, ctx);
  sessionRoutes(mount, ctx);
  meRoutes(mount, ctx);
  totpRoutes(mount, ctx);
  studioRoutes(mount, ctx);
  supportRoutes(mount, ctx);
  supportAccessRoutes(mount, ctx);
  retentionRoutes(mount, ctx);
  usageRoutes(mount, ctx);
  alertRoutes(mount, ctx);
  adminRoutes(mount, ctx);
  apiDocsRoutes(mount);
  table.assertComplete();
  app.use(router);
  // The web app (server/web/): its pages call the API above with the cookie session.
  app.use(WEB_PREFIX, webRoutes({ production: ctx.config.production }));

  app.use((_req, _res, next) => next(errors.notFound("route")));
  app.use(errorHandler(ctx.log));
  return app;
}
