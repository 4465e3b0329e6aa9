import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import { Code, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { connectNodeAdapter } from "@connectrpc/connect-node";

/** One service and its (possibly partial) implementation; unimplemented methods answer UNIMPLEMENTED. */
export interface ServiceBinding {
  readonly typeName: string;
  readonly register: (router: ConnectRouter) => void;
}

/** Pairs a generated service with its implementation, keeping the two type-checked against each other. */
export function bindService<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): ServiceBinding {
  return { typeName: service.typeName, register: (router) => void router.service(service, impl) };
}

export interface GrpcServerTls {
  /** PEM certificate chain. */
  readonly cert: string | Buffer;
  /** PEM private key. */
  readonly key: string | Buffer;
}

export interface GrpcServerOptions {
  /** Raw connect routes; combined with `services` when both are given. */
  readonly routes?: (router: ConnectRouter) => void;
  readonly services?: readonly ServiceBinding[];
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1: listening on every interface is an explicit choice. */
  readonly host?: string;
  /** Serve TLS with these PEMs; plaintext HTTP/2 (h2c) when absent. */
  readonly tls?: GrpcServerTls;
  /** How long close() lets open sessions finish in-flight calls before destroying them. Default 1000 ms. */
  readonly closeGraceMs?: number;
}

export interface GrpcServer {
  readonly port: number;
  /** host:port as bound (IPv6 hosts in brackets). */
  readonly address: string;
  /** Base URL a client transport can use (http:// or https://). */
  readonly url: string;
  /**
   * Stops accepting connections, sends GOAWAY to every open client session, and destroys the ones
   * still open after the grace period. Resolves when the listener is closed. Idempotent.
   */
  close(): Promise<void>;
}

const grpcStatusUnimplemented = "12";

/**
 * connect reports an undecodable request message as INTERNAL ("parse binary: ..."). It is the caller's
 * bytes that are wrong, so answer INVALID_ARGUMENT. The trailer is filled in while the body streams,
 * hence the check both up front and after the last chunk.
 */
function invalidArgumentOnParseError(handler: UniversalHandler): UniversalHandler {
  const fix = (res: UniversalServerResponse): void => {
    const trailer = res.trailer;
    if (trailer?.get("grpc-status") !== String(Code.Internal)) return;
    const message = decodeURIComponent(trailer.get("grpc-message") ?? "");
    if (message.startsWith("parse binary:")) trailer.set("grpc-status", String(Code.InvalidArgument));
  };
  const wrapped = async (req: Parameters<UniversalHandler>[0]): Promise<UniversalServerResponse> => {
    const res = await handler(req);
    fix(res);
    if (res.body === undefined) return res;
    const body: AsyncIterable<Uint8Array> = res.body;
    async function* watched(): AsyncIterable<Uint8Array> {
      try {
        yield* body;
      } finally {
        fix(res);
      }
    }
    return { ...res, body: watched() };
  };
  return Object.assign(wrapped, handler);
}

/**
 * Answers unknown paths the way gRPC servers do: HTTP 200 with a trailers-only UNIMPLEMENTED status,
 * which every gRPC client maps to a proper error instead of a transport failure.
 */
function unimplementedFallback(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void {
  const contentType = req.headers["content-type"] ?? "";
  if (!contentType.startsWith("application/grpc")) {
    res.writeHead(404);
    res.end();
    return;
  }
  const path = req.url ?? "";
  res.stream.respond(
    {
      ":status": 200,
      "content-type": "application/grpc+proto",
      "grpc-status": grpcStatusUnimplemented,
      "grpc-message": encodeURIComponent(`unknown method ${path}`),
    },
    { endStream: true },
  );
}

/** Starts a gRPC-only server over node:http2 and resolves once it is listening. */
export async function createGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const handler = connectNodeAdapter({
    grpc: true,
    grpcWeb: false,
    connect: false,
    routes: (router) => {
      options.routes?.(router);
      for (const binding of options.services ?? []) binding.register(router);
      // connectNodeAdapter reads router.handlers after this callback: wrap them in place.
      const handlers = router.handlers;
      handlers.forEach((h, i) => (handlers[i] = invalidArgumentOnParseError(h)));
    },
    fallback: (req, res) => unimplementedFallback(req as http2.Http2ServerRequest, res as http2.Http2ServerResponse),
  });
  const server: http2.Http2Server | http2.Http2SecureServer = options.tls
    ? http2.createSecureServer({ cert: options.tls.cert, key: options.tls.key, allowHTTP1: false }, handler)
    : http2.createServer(handler);

  // server.close() waits for every session, and gRPC clients keep theirs open: track them so close() can end them.
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  // A misbehaving peer must not take the process down; the session is torn down by node itself.
  server.on("sessionError", () => undefined);

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const hostPart = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  const grace = options.closeGraceMs ?? 1000;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, grace);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const session of sessions) session.close();
    });
    return closing;
  };

  return {
    port: bound.port,
    address: `${hostPart}:${bound.port}`,
    url: `${options.tls ? "https" : "http"}://${hostPart}:${bound.port}`,
    close,
  };
}
