// A small real RQD stand-in: a gRPC server (HTTP/2 on loopback) implementing LaunchFrame and
// KillRunningFrame, recording what it receives, accepting or refusing launches.
import { bindService, Code, ConnectError, createGrpcServer, RqdInterface, type GrpcServer, type RunFrame } from "@opencue-ts/proto";

export interface RqdStandIn {
  readonly port: number;
  readonly launched: RunFrame[];
  readonly killed: { frameId: string; message: string }[];
  /** "accept" (default) or a gRPC code every LaunchFrame fails with. */
  mode: "accept" | Code;
  close(): Promise<void>;
}

export async function startRqdStandIn(opts: { host?: string; port?: number } = {}): Promise<RqdStandIn> {
  const launched: RunFrame[] = [];
  const killed: { frameId: string; message: string }[] = [];
  const self: { mode: "accept" | Code } = { mode: "accept" };
  const server: GrpcServer = await createGrpcServer({
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    services: [
      bindService(RqdInterface, {
        launchFrame: (req) => {
          if (self.mode !== "accept") throw new ConnectError("stand-in refuses LaunchFrame", self.mode);
          if (req.runFrame) launched.push(req.runFrame);
          return {};
        },
        killRunningFrame: (req) => {
          killed.push({ frameId: req.frameId, message: req.message });
          return {};
        },
      }),
    ],
  });
  return {
    port: server.port,
    launched,
    killed,
    get mode() { return self.mode; },
    set mode(m) { self.mode = m; },
    close: () => server.close(),
  };
}
