// Structured logs (pino). Credentials never reach a log line: headers that carry them are redacted.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "token", "accessToken", "*.token"],
      censor: "[redacted]",
    },
  });
}
