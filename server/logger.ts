// Structured logs (pino). Credentials never reach a log line: headers that carry them are redacted.
import { pino, type Logger } from "pino";

export type { Logger };

/** `stderr`: for CLIs whose stdout is their result (datasafe-admin --json). */
export function createLogger(level: string, name: string, opts: { stderr?: boolean } = {}): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: ["req.headers.authorization", "req.headers.cookie", "token", "accessToken", "*.token"],
        censor: "[redacted]",
      },
    },
    pino.destination(opts.stderr ? 2 : 1),
  );
}
