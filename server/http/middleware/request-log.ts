// One log line and one count (datasafe_http_responses_total) per request. The line's level follows
// the outcome: a first backup is thousands of chunk requests, so successes are debug and problems
// stand out (4xx but 429 warn, 5xx error).
// Replaces pino-http, which built a child logger and serializers for every request, ~0.4 ms of API
// CPU each under ingest load even when the line was then dropped. Nothing but the method, path,
// status and time is logged: no headers, so no credential can reach a log line.
import type { RequestHandler } from "express";
import type { Logger } from "../../logger.ts";
import { metrics } from "../../metrics.ts";

const quiet = new Set(["/healthz", "/readyz", "/metrics"]);

export function requestLog(log: Logger): RequestHandler {
  let nextId = 0;
  return (req, res, next) => {
    if (quiet.has(req.url)) return next();
    const id = ++nextId;
    const start = performance.now();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const aborted = !res.writableFinished;
      const status = res.statusCode;
      metrics.httpResponses.inc({ status: aborted ? "aborted" : String(status) });
      const level = status >= 500 ? "error" : aborted || (status >= 400 && status !== 429) ? "warn" : "debug";
      if (!log.isLevelEnabled(level)) return;
      log[level](
        {
          req: { id, method: req.method, url: req.originalUrl },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - start),
        },
        aborted ? "request aborted" : "request completed",
      );
    };
    res.once("finish", done);
    res.once("close", done);
    next();
  };
}
