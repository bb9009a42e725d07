// The rig's load balancer: one URL for every uploader, spread round-robin over the API processes
// that are up (a killed one is taken out at once, a restarted one put back once ready), as a
// reverse proxy would. It sees every answer, so it keeps the run's account of statuses: a 500
// from an API is a failure of the run; a connection cut because an API was killed is not (the
// uploader retries it), and is counted apart.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Backend {
  name: string;
  port: number;
  up: boolean;
}

export interface StatusLog {
  /** Answers by status code. */
  byStatus: Record<string, number>;
  /** 503 answers without a Retry-After header. */
  unavailableWithoutRetryAfter: number;
  /** Requests whose API connection failed or was cut (the API was killed). */
  cut: number;
  /** Requests that found no API up (answered 503 + Retry-After by the balancer itself). */
  noBackend: number;
}

export function emptyLog(): StatusLog {
  return { byStatus: {}, unavailableWithoutRetryAfter: 0, cut: 0, noBackend: 0 };
}

export class Balancer {
  private next = 0;
  log: StatusLog = emptyLog();

  private constructor(
    private readonly server: http.Server,
    readonly backends: Backend[],
  ) {}

  static async start(backends: Backend[]): Promise<Balancer> {
    const server = http.createServer();
    const b = new Balancer(server, backends);
    server.on("request", (req, res) => b.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return b;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Returns the log so far and starts a new one (one per scenario). */
  takeLog(): StatusLog {
    const l = this.log;
    this.log = emptyLog();
    return l;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private pick(): Backend | undefined {
    for (let i = 0; i < this.backends.length; i++) {
      const b = this.backends[(this.next + i) % this.backends.length]!;
      if (b.up) {
        this.next = (this.next + i + 1) % this.backends.length;
        return b;
      }
    }
    return undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const backend = this.pick();
    if (!backend) {
      this.log.noBackend++;
      req.resume();
      res.writeHead(503, { "retry-after": "1", "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "DATABASE_UNAVAILABLE", message: "no API process is up (torture balancer)" } }));
      return;
    }
    const up = http.request({ host: "127.0.0.1", port: backend.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      const status = upRes.statusCode ?? 0;
      this.log.byStatus[status] = (this.log.byStatus[status] ?? 0) + 1;
      if (status === 503 && !upRes.headers["retry-after"] && !req.url?.startsWith("/readyz")) this.log.unavailableWithoutRetryAfter++;
      res.writeHead(status, upRes.headers);
      upRes.pipe(res);
      upRes.on("error", () => res.destroy());
    });
    up.on("error", () => {
      this.log.cut++;
      res.destroy();
    });
    res.on("close", () => up.destroy());
    req.pipe(up);
  }
}
