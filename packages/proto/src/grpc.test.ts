import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { bindService, createGrpcServer, type GrpcServer } from "./grpc-server.js";
import { createRpcClient, createRpcTransport } from "./grpc-client.js";
import { RqdInterface, RqdStaticKillRunningFrameRequestSchema, RunningFrame } from "./gen/rqd_pb.js";
import { hostReport } from "./__fixtures__/messages.js";
import { makeSelfSigned } from "./test-support/self-signed.js";

/** Resolves when the signal aborts: how a well-behaved slow handler notices the client's deadline. */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

interface Recorded {
  method: string;
  timeoutMs: number | undefined;
}

/** A small RqdInterface: ReportStatus answers, KillRunningFrame validates, LockAll hangs until the deadline. */
function rqdBinding(calls: Recorded[], hang: Promise<void> = new Promise(() => undefined)) {
  return bindService(RqdInterface, {
    reportStatus: (_req, ctx) => {
      calls.push({ method: "ReportStatus", timeoutMs: ctx.timeoutMs() });
      return { hostReport: hostReport() };
    },
    killRunningFrame: (req) => {
      calls.push({ method: "KillRunningFrame", timeoutMs: undefined });
      if (req.frameId === "") throw new ConnectError("frame_id is required", Code.InvalidArgument);
      return {};
    },
    lockAll: async (_req, ctx) => {
      calls.push({ method: "LockAll", timeoutMs: ctx.timeoutMs() });
      await Promise.race([untilAborted(ctx.signal), hang]);
      ctx.signal.throwIfAborted();
      return {};
    },
  });
}

async function rawGrpcCall(url: string, path: string, body: Uint8Array): Promise<{ status: string; message: string }> {
  const session = http2.connect(url);
  try {
    return await new Promise((resolve, reject) => {
      const req = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
      });
      let headers: http2.IncomingHttpHeaders = {};
      req.on("response", (h) => (headers = h));
      req.on("trailers", (t) => (headers = { ...headers, ...t }));
      req.on("data", () => undefined);
      req.on("error", reject);
      req.on("end", () =>
        resolve({
          status: String(headers["grpc-status"]),
          message: decodeURIComponent(String(headers["grpc-message"] ?? "")),
        }),
      );
      req.end(body);
    });
  } finally {
    session.close();
  }
}

function envelope(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

describe("createGrpcServer + createRpcClient over loopback h2c", () => {
  let server: GrpcServer;
  const calls: Recorded[] = [];

  beforeAll(async () => {
    server = await createGrpcServer({ services: [rqdBinding(calls)], closeGraceMs: 200 });
  });
  afterAll(() => server.close());

  test("listens on an ephemeral loopback port and answers a unary call", async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port });
    const res = await client.reportStatus({});
    expect(res.hostReport?.host?.name).toBe("render-01");
    expect(res.hostReport?.host?.freeMem).toBe(9_007_199_254_740_993n);
  });

  test("handler errors reach the client as code and message", async () => {
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port });
    const err = await client.killRunningFrame({}).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toBe("frame_id is required");
  });

  test("a method the implementation leaves out answers UNIMPLEMENTED", async () => {
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port });
    await expect(client.nimbyOn({})).rejects.toMatchObject({ code: Code.Unimplemented });
  });

  test("a service the server does not serve answers UNIMPLEMENTED", async () => {
    const client = createRpcClient(RunningFrame, { host: "127.0.0.1", port: server.port });
    await expect(client.status({})).rejects.toMatchObject({ code: Code.Unimplemented });
  });

  test("per-call timeoutMs gives DEADLINE_EXCEEDED and the server sees the deadline", async () => {
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port });
    const started = Date.now();
    await expect(client.lockAll({}, { timeoutMs: 150 })).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
    const seen = calls.filter((c) => c.method === "LockAll").at(-1);
    expect(seen?.timeoutMs).toBeGreaterThan(0);
    expect(seen?.timeoutMs).toBeLessThanOrEqual(150);
  });

  test("defaultTimeoutMs applies to calls without their own deadline", async () => {
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port, defaultTimeoutMs: 100 });
    await expect(client.lockAll({})).rejects.toMatchObject({ code: Code.DeadlineExceeded });
  });

  test("a garbage protobuf body gets INVALID_ARGUMENT and the server keeps serving", async () => {
    const garbage = envelope(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x07]));
    const res = await rawGrpcCall(server.url, "/rqd.RqdInterface/KillRunningFrame", garbage);
    expect(res.status).toBe(String(Code.InvalidArgument));
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port });
    await expect(client.killRunningFrame({ frameId: "x" })).resolves.toBeDefined();
  });

  test("a truncated gRPC envelope gets INVALID_ARGUMENT", async () => {
    const valid = envelope(toBinary(RqdStaticKillRunningFrameRequestSchema, create(RqdStaticKillRunningFrameRequestSchema, { frameId: "abc" })));
    const res = await rawGrpcCall(server.url, "/rqd.RqdInterface/KillRunningFrame", valid.subarray(0, valid.length - 2));
    expect(res.status).toBe(String(Code.InvalidArgument));
  });

  test("an unknown method path gets a gRPC UNIMPLEMENTED status, not an HTTP error", async () => {
    const res = await rawGrpcCall(server.url, "/rqd.RqdInterface/NoSuchMethod", envelope(new Uint8Array()));
    expect(res).toEqual({ status: String(Code.Unimplemented), message: "unknown method /rqd.RqdInterface/NoSuchMethod" });
  });
});

describe("close()", () => {
  test("ends idle client sessions promptly; later calls fail UNAVAILABLE", async () => {
    const server = await createGrpcServer({ services: [rqdBinding([])], closeGraceMs: 5000 });
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port });
    await client.reportStatus({});
    const started = Date.now();
    await server.close();
    // GOAWAY lets an idle session go at once: nowhere near the 5 s grace.
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(client.reportStatus({})).rejects.toMatchObject({ code: Code.Unavailable });
  });

  test("destroys sessions whose calls outlive the grace period", async () => {
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    const server = await createGrpcServer({ services: [rqdBinding([], hang)], closeGraceMs: 200 });
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port });
    const pending = client.lockAll({}).catch((e: unknown) => ConnectError.from(e));
    await client.reportStatus({}); // the hanging call is in flight by now
    await server.close();
    const err = await pending;
    expect(err).toBeInstanceOf(ConnectError);
    release();
  });

  test("is idempotent", async () => {
    const server = await createGrpcServer({ services: [] });
    await Promise.all([server.close(), server.close()]);
    await server.close();
  });

  test("a client transport close() ends its session so the server closes without waiting", async () => {
    const server = await createGrpcServer({ services: [rqdBinding([])], closeGraceMs: 5000 });
    const transport = createRpcTransport({ host: "127.0.0.1", port: server.port });
    const client = createRpcClient(RqdInterface, { transport });
    await client.reportStatus({});
    transport.close();
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("TLS", () => {
  const pem = makeSelfSigned();
  let server: GrpcServer;

  beforeAll(async () => {
    server = await createGrpcServer({ services: [rqdBinding([])], tls: pem, closeGraceMs: 200 });
  });
  afterAll(() => server.close());

  test("a client trusting the self-signed certificate gets answers over https", async () => {
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const client = createRpcClient(RqdInterface, { host: "localhost", port: server.port, tls: { ca: pem.cert } });
    const res = await client.reportStatus({});
    expect(res.hostReport?.coreInfo?.totalCores).toBe(1600);
  });

  test("a client that does not trust the certificate is refused", async () => {
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port, tls: true });
    await expect(client.reportStatus({}, { timeoutMs: 2000 })).rejects.toMatchObject({ code: Code.Unavailable });
  });

  test("a plaintext client cannot talk to the TLS server", async () => {
    const client = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port });
    const err = await client.reportStatus({}, { timeoutMs: 2000 }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
  });
});
