// The agent's client of Cuebot's report.RqdReportInterface. Each call is retried with exponential backoff
// and jitter while its gRPC code says a retry can help (reporting/retry-policy.ts); any other code fails at
// once. Endpoints are picked at random and re-picked after connection_expires_after, as the Rust RQD does.
import { Code, ConnectError, createRpcClient, createRpcTransport, RqdReportInterface, type Client, type RpcTransport } from "@opencue-ts/proto";
import type { BootReport, FrameCompleteReport, HostReport } from "@opencue-ts/proto";
import { backoffDelay, isRetryable, type BackoffSettings } from "../reporting/retry-policy.js";

export type ReportKind = "startup" | "status" | "completion";

export interface ReportClientOptions {
  endpoints: readonly string[];
  callTimeoutMs: number;
  backoff: BackoffSettings;
  /** Retries after the first attempt. */
  retryAttempts: number;
  connectionExpiresAfterMs: number;
  now?: () => number;
  random?: () => number;
  /** Called after every attempt: for metrics and logs. */
  onAttempt?: (kind: ReportKind, ms: number, error: ConnectError | null, attempt: number) => void;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** Overrides the configured retry count (0: one attempt). */
  retryAttempts?: number;
}

export interface ReportClient {
  startup(report: BootReport, opts?: SendOptions): Promise<void>;
  status(report: HostReport, opts?: SendOptions): Promise<void>;
  completion(report: FrameCompleteReport, opts?: SendOptions): Promise<void>;
  readonly endpoint: string;
  close(): void;
}

/** "host:port", "http://host:port" or "[::1]:8443" as host and port. Throws naming the endpoint. */
export function parseEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^(?:https?:\/\/)?(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(endpoint.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port > 0 && port < 65536)) throw new Error(`bad Cuebot endpoint ${JSON.stringify(endpoint)}: expected host:port`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

const abortable = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new ConnectError("report canceled", Code.Canceled));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new ConnectError("report canceled", Code.Canceled));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

export function createReportClient(opts: ReportClientOptions): ReportClient {
  if (opts.endpoints.length === 0) throw new Error("grpc.cuebot_endpoints is empty");
  const parsed = opts.endpoints.map(parseEndpoint);
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  let current: { name: string; transport: RpcTransport; client: Client<typeof RqdReportInterface>; expiresAt: number } | null = null;

  const connection = () => {
    const expired = current && parsed.length > 1 && opts.connectionExpiresAfterMs > 0 && now() >= current.expiresAt;
    if (!current || expired) {
      current?.transport.close();
      const i = Math.floor(random() * parsed.length) % parsed.length;
      const ep = parsed[i]!;
      const transport = createRpcTransport({ host: ep.host, port: ep.port });
      current = { name: `${ep.host}:${ep.port}`, transport, client: createRpcClient(RqdReportInterface, { transport }), expiresAt: now() + opts.connectionExpiresAfterMs };
    }
    return current;
  };

  async function call(kind: ReportKind, fn: (c: Client<typeof RqdReportInterface>, o: { timeoutMs: number; signal?: AbortSignal }) => Promise<unknown>, so: SendOptions = {}): Promise<void> {
    const retries = so.retryAttempts ?? opts.retryAttempts;
    for (let attempt = 0; ; attempt++) {
      const started = now();
      try {
        await fn(connection().client, { timeoutMs: opts.callTimeoutMs, signal: so.signal });
        opts.onAttempt?.(kind, now() - started, null, attempt);
        return;
      } catch (e) {
        const err = ConnectError.from(e);
        opts.onAttempt?.(kind, now() - started, err, attempt);
        if (so.signal?.aborted || !isRetryable(err.code) || err.code === Code.Canceled || attempt >= retries) throw err;
        await abortable(backoffDelay(attempt, opts.backoff, random), so.signal);
      }
    }
  }

  return {
    get endpoint() {
      return connection().name;
    },
    startup: (bootReport, so) => call("startup", (c, o) => c.reportRqdStartup({ bootReport }, o), so),
    status: (hostReport, so) => call("status", (c, o) => c.reportStatus({ hostReport }, o), so),
    completion: (frameCompleteReport, so) => call("completion", (c, o) => c.reportRunningFrameCompletion({ frameCompleteReport }, o), so),
    close() {
      current?.transport.close();
      current = null;
    },
  };
}
