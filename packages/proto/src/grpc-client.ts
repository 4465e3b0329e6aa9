import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { unavailableOnNetworkError } from "./network-errors.js";

export interface RpcClientTls {
  /** PEM CA (or self-signed certificate) to trust; the system store when absent. */
  readonly ca?: string | Buffer;
  /** Name checked against the server certificate; defaults to host. */
  readonly servername?: string;
  /** Default true. Turning it off is for throwaway test setups only. */
  readonly rejectUnauthorized?: boolean;
}

export interface RpcConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** true or options for TLS; plaintext HTTP/2 when absent or false. */
  readonly tls?: boolean | RpcClientTls;
  /** Deadline for calls that do not pass their own `timeoutMs`. No deadline when absent. */
  readonly defaultTimeoutMs?: number;
  readonly interceptors?: Interceptor[];
}

/** A gRPC transport that owns its HTTP/2 session and can end it. */
export interface RpcTransport extends Transport {
  /** Ends the HTTP/2 session; in-flight calls fail with CANCELED. Later calls reconnect. */
  close(): void;
}

function hostForUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** A gRPC (HTTP/2) transport to host:port, with per-call deadlines via `{ timeoutMs }` call options. */
export function createRpcTransport(options: RpcConnectionOptions): RpcTransport {
  const tls = options.tls === true ? {} : options.tls || undefined;
  const baseUrl = `${tls ? "https" : "http"}://${hostForUrl(options.host)}:${options.port}`;
  const nodeOptions = tls
    ? { ca: tls.ca, servername: tls.servername, rejectUnauthorized: tls.rejectUnauthorized ?? true }
    : {};
  const sessionManager = new Http2SessionManager(baseUrl, {}, nodeOptions);
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager,
    defaultTimeoutMs: options.defaultTimeoutMs,
    // Innermost, so that caller interceptors already see UNAVAILABLE for connection failures.
    interceptors: [...(options.interceptors ?? []), unavailableOnNetworkError],
  });
  return {
    unary: transport.unary.bind(transport),
    stream: transport.stream.bind(transport),
    close: () => sessionManager.abort(),
  };
}

/** Typed client for one generated service, over its own transport or a shared one. */
export function createRpcClient<S extends DescService>(
  service: S,
  options: RpcConnectionOptions | { readonly transport: Transport },
): Client<S> {
  const transport = "transport" in options ? options.transport : createRpcTransport(options);
  return createClient(service, transport);
}
