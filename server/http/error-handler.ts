// The one place that turns errors into responses: {"error": {"code", "message", ...details}}.
import type { ErrorRequestHandler } from "express";
import type { AppError } from "../errors.ts";
import { errors } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { toAppError } from "../to-app-error.ts";

/** What Express's body parsers throw (their `type`), in the vocabulary; else undefined. */
function bodyParserError(err: unknown): AppError | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === "entity.too.large") return errors.tooLarge("request body too large");
  if (type === "entity.parse.failed") return errors.validation("request body is not valid JSON");
  if (type === "request.aborted" || type === "request.size.invalid") return errors.validation("request body incomplete");
  return undefined;
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appErr = bodyParserError(err) ?? toAppError(err);
    if (appErr.status >= 500 || appErr.code === "BLOB_MISSING")
      log.error({ err, method: req.method, url: req.originalUrl }, "request failed");
    if (appErr.retryAfterSeconds) res.setHeader("Retry-After", String(appErr.retryAfterSeconds));
    res.status(appErr.status).json({ error: { code: appErr.code, message: appErr.message, ...appErr.details } });
  };
}
