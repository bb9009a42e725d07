// The server URL a device talks to. Plain http is refused except to this machine: the device
// token, the enrollment token and the studio's wrapped keyset (which the passphrase can be
// guessed against offline) would cross the network readable by anyone on the path.
import { CliError } from "./errors.ts";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function isLocalHost(hostname: string): boolean {
  return LOCAL_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** The URL, checked: https anywhere, http only to localhost, 127.0.0.0/8 or ::1. */
export function checkServerUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError("SERVER_URL_INVALID", `the server URL "${server}" is not a URL (e.g. https://backup.example.com)`);
  }
  if (url.protocol === "https:") return server;
  if (url.protocol === "http:" && isLocalHost(url.hostname)) return server;
  if (url.protocol === "http:") {
    throw new CliError(
      "SERVER_URL_INSECURE",
      `refusing plain http to ${url.host}: credentials and the studio's keys would cross the network unencrypted; use https:// (http is only allowed to localhost)`,
    );
  }
  throw new CliError("SERVER_URL_INVALID", `the server URL must start with https:// (got ${url.protocol}//)`);
}
