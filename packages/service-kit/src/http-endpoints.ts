// The operational HTTP endpoint every service exposes: Prometheus /metrics and a /healthz probe.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthReport {
  healthy: boolean;
  /** Shown in the /healthz body: state of the service's parts. */
  details?: Record<string, unknown>;
}

export interface HttpEndpointsOptions {
  port: number;
  host?: string;
  registry: Registry;
  health?: () => HealthReport | Promise<HealthReport>;
}

export interface HttpEndpoints {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpEndpoints(opts: HttpEndpointsOptions): Promise<HttpEndpoints> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "text/plain", "method not allowed\n");
    if (path === "/metrics") {
      opts.registry.metrics().then((text) => reply(200, opts.registry.contentType, text), (e: Error) => reply(500, "text/plain", `metrics failed: ${e.message}\n`));
      return;
    }
    if (path === "/healthz" || path === "/health") {
      Promise.resolve(opts.health ? opts.health() : { healthy: true }).then(
        (h) => reply(h.healthy ? 200 : 503, "application/json", JSON.stringify({ status: h.healthy ? "ok" : "unhealthy", ...h.details }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) + "\n"),
        (e: Error) => reply(503, "application/json", JSON.stringify({ status: "unhealthy", error: e.message }) + "\n"),
      );
      return;
    }
    reply(404, "text/plain", "not found: try /metrics or /healthz\n");
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((res) => {
      server.close(() => res());
      server.closeAllConnections();
    }),
  };
}
