// A fault-injecting HTTP proxy on loopback in front of the S3 server: every S3 request of the
// API, the workers and the uploaders (presigned transfers) goes through it. Pass-through by
// default; told to, it delays, resets the connection, answers 500/503 or hangs a share of the
// requests, each decision drawn from the rig's seeded PRNG so a run replays with --seed.
// The Host header is forwarded unchanged: SigV4 signs it, and the client signed the proxy's.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Rng } from "../bench/prng.ts";

export type Fault =
  { kind: "pass" } | { kind: "delay"; ms: number } | { kind: "reset" } | { kind: "status"; status: 500 | 503 } | { kind: "hang" };

export interface FaultRule {
  fault: Fault;
  /** Share of requests that get the fault, 0..1 (the others pass). */
  share: number;
}

export interface ProxyStats {
  requests: number;
  faulted: Record<Fault["kind"], number>;
  upstreamErrors: number;
}

export class FaultProxy {
  private rule: FaultRule = { fault: { kind: "pass" }, share: 0 };
  private readonly hung = new Set<http.ServerResponse>();
  readonly stats: ProxyStats = { requests: 0, faulted: { pass: 0, delay: 0, reset: 0, status: 0, hang: 0 }, upstreamErrors: 0 };

  private constructor(
    private readonly server: http.Server,
    private readonly target: URL,
    private readonly rng: Rng,
  ) {}

  static async start(target: string, rng: Rng): Promise<FaultProxy> {
    const server = http.createServer();
    const proxy = new FaultProxy(server, new URL(target), rng);
    server.on("request", (req, res) => proxy.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, `share` of the requests get `fault`; `pass()` ends it and frees hung requests. */
  set(rule: FaultRule): void {
    this.rule = rule;
  }

  pass(): void {
    this.rule = { fault: { kind: "pass" }, share: 0 };
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  async close(): Promise<void> {
    this.pass();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.stats.requests++;
    const fault =
      this.rule.share > 0 && this.rng.int(1_000_000) < this.rule.share * 1_000_000 ? this.rule.fault : { kind: "pass" as const };
    this.stats.faulted[fault.kind]++;
    switch (fault.kind) {
      case "reset":
        req.socket.destroy();
        return;
      case "status":
        req.resume();
        res.writeHead(fault.status, { "content-type": "application/xml" });
        res.end(`<?xml version="1.0"?><Error><Code>${fault.status === 503 ? "SlowDown" : "InternalError"}</Code></Error>`);
        return;
      case "hang":
        this.hung.add(res);
        res.on("close", () => this.hung.delete(res));
        return;
      case "delay":
        setTimeout(() => this.forward(req, res), fault.ms);
        return;
      case "pass":
        this.forward(req, res);
    }
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    // "Expect: 100-continue" was answered by this proxy's own server; SigV4 never signs it.
    const { expect: _expect, ...headers } = req.headers;
    const up = http.request({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on("error", () => {
      this.stats.upstreamErrors++;
      res.destroy();
    });
    res.on("close", () => up.destroy());
    req.pipe(up);
  }
}
