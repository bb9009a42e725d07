// The agent's log: human-readable lines on a terminal, JSON lines otherwise (a service manager,
// a pipe) or with --json, and always JSON lines in a rotating file DATASAFE_HOME/logs/agent.log
// (10 MB x 5 files), so a studio PC never fills its disk with logs.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { createStream, type RotatingFileStream } from "rotating-file-stream";

export type Level = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, unknown>;

export interface Log {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  close(): Promise<void>;
}

export const logDir = (home: string) => path.join(home, "logs");

function human(level: Level, msg: string, fields: Fields): string {
  const time = new Date().toLocaleString("sv-SE"); // local "YYYY-MM-DD HH:MM:SS"
  const extra = Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${time} ${level.padEnd(5)} ${msg}${extra ? `  ${extra}` : ""}\n`;
}

export function createAgentLog(o: { home: string; json: boolean; verbose?: boolean; out?: NodeJS.WritableStream }): Log {
  mkdirSync(logDir(o.home), { recursive: true, mode: 0o700 });
  const file: RotatingFileStream = createStream("agent.log", { path: logDir(o.home), size: "10M", maxFiles: 5, mode: 0o600 });
  file.on("error", () => undefined); // a full disk must not stop backups
  const out = o.out ?? process.stdout;
  const write = (level: Level, msg: string, fields: Fields = {}) => {
    const line = `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`;
    file.write(line);
    if (level === "debug" && !o.verbose) return;
    out.write(o.json ? line : human(level, msg, fields));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    close: () => new Promise((resolve) => file.end(resolve)),
  };
}
