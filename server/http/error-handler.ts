// The one place that turns errors into responses: {"error": {"code", "message", ...details}}.
import type { ErrorRequestHandler } from "express";
import { z } from "zod";
import { AppError, errors } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { translateStorageError } from "../services/storage-errors.ts";

export function toAppError(err: unknown): AppError {
  const translated = translateStorageError(err);
  if (translated instanceof AppError) return translated;
  if (err instanceof z.ZodError) {
    const first = err.issues[0];
    return errors.validation(first ? `${first.path.join(".") || "body"}: ${first.message}` : "invalid request");
  }
  const e = err as { type?: string; status?: number };
  if (e?.type === "entity.too.large") return errors.tooLarge("request body too large");
  if (e?.type === "entity.parse.failed") return errors.validation("request body is not valid JSON");
  if (e?.type === "request.aborted" || e?.type === "request.size.invalid") return errors.validation("request body incomplete");
  return errors.internal();
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appErr = toAppError(err);
    if (appErr.status >= 500 || appErr.code === "BLOB_MISSING") log.error({ err, method: req.method, url: req.originalUrl }, "request failed");
    if (appErr.retryAfterSeconds) res.setHeader("Retry-After", String(appErr.retryAfterSeconds));
    res.status(appErr.status).json({ error: { code: appErr.code, message: appErr.message, ...appErr.details } });
  };
}
