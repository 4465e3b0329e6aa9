// The gRPC servant: rqd.RqdInterface (all 17 methods) and rqd.RunningFrame (Kill, Status). It checks the
// request's shape and maps it onto the agent's operations; every failure is a ConnectError with the code
// the reference RQD uses, and nothing a client sends can stop the server.
import { bindService, Code, ConnectError, createGrpcServer, RqdInterface, RunningFrame, type RunFrame, type RunningFrameInfo, type HostReport } from "@opencue-ts/proto";
import type { Logger } from "@opencue-ts/service-kit";

export interface RqdOps {
  launch(rf: RunFrame): Promise<void>;
  kill(frameId: string, message: string): void;
  runFrame(frameId: string): RunFrame;
  frameInfo(frameId: string, notFoundSuffix?: string): RunningFrameInfo;
  hostReport(): Promise<HostReport>;
  /** Core units (100 = one core), as cuerqd and the Python RQD count them. */
  lock(units: number): void;
  unlock(units: number): void;
  lockAll(): void;
  unlockAll(): void;
  nimbyOn(): void;
  nimbyOff(): void;
  rebootNow(): void;
  rebootIdle(): void;
  restartNow(): void;
  restartIdle(): void;
  shutdownNow(): void;
  shutdownIdle(): void;
}

export interface RqdServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

const invalid = (message: string): never => {
  throw new ConnectError(message, Code.InvalidArgument);
};

function checkCores(cores: number): number {
  if (!Number.isInteger(cores) || cores < 0) invalid(`cores must be a non-negative number of core units (100 = one core), got ${cores}`);
  return cores;
}

export async function createRqdServer(opts: { host: string; port: number; ops: RqdOps; log: Logger }): Promise<RqdServer> {
  const { ops, log } = opts;
  // Every handler runs through here: errors that are not ConnectErrors are bugs, logged and answered INTERNAL.
  const guard = async <T>(method: string, fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ConnectError) {
        log.debug(`${method}: ${Code[e.code]}: ${e.rawMessage}`);
        throw e;
      }
      log.error(`${method} failed unexpectedly: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      throw new ConnectError(`${method} failed: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
    }
  };
  const after = (fn: () => void) => setImmediate(fn);
  const needFrameId = (id: string) => {
    if (!id) invalid("Missing frame_id in request");
    return id;
  };

  const rqd = bindService(RqdInterface, {
    getRunFrame: (req) => guard("GetRunFrame", () => ({ runFrame: ops.runFrame(needFrameId(req.frameId)) })),
    getRunningFrameStatus: (req) => guard("GetRunningFrameStatus", () => ({ runningFrameInfo: ops.frameInfo(needFrameId(req.frameId)) })),
    killRunningFrame: (req) =>
      guard("KillRunningFrame", () => {
        const id = needFrameId(req.frameId);
        if (!req.message) throw new ConnectError(`Could not kill frame ${id} without a reason (message is empty)`, Code.FailedPrecondition);
        ops.kill(id, req.message);
        return {};
      }),
    launchFrame: (req) =>
      guard("LaunchFrame", async () => {
        if (!req.runFrame) invalid("Missing run_frame in request");
        await ops.launch(req.runFrame!);
        return {};
      }),
    lock: (req) => guard("Lock", () => (ops.lock(checkCores(req.cores)), {})),
    unlock: (req) => guard("Unlock", () => (ops.unlock(checkCores(req.cores)), {})),
    lockAll: () => guard("LockAll", () => (ops.lockAll(), {})),
    unlockAll: () => guard("UnlockAll", () => (ops.unlockAll(), {})),
    nimbyOn: () => guard("NimbyOn", () => (ops.nimbyOn(), {})),
    nimbyOff: () => guard("NimbyOff", () => (ops.nimbyOff(), {})),
    reportStatus: () => guard("ReportStatus", async () => ({ hostReport: await ops.hostReport() })),
    // The actions run after the reply is sent, so the caller hears OK rather than a dropped call.
    rebootNow: () => guard("RebootNow", () => (after(ops.rebootNow), {})),
    rebootIdle: () => guard("RebootIdle", () => (ops.rebootIdle(), {})),
    restartRqdNow: () => guard("RestartRqdNow", () => (after(ops.restartNow), {})),
    restartRqdIdle: () => guard("RestartRqdIdle", () => (ops.restartIdle(), {})),
    shutdownRqdNow: () => guard("ShutdownRqdNow", () => (after(ops.shutdownNow), {})),
    shutdownRqdIdle: () => guard("ShutdownRqdIdle", () => (ops.shutdownIdle(), {})),
  });
  const running = bindService(RunningFrame, {
    kill: (req) =>
      guard("RunningFrame.Kill", () => {
        if (!req.runFrame) invalid("Missing run_frame in request");
        const id = needFrameId(req.runFrame!.frameId);
        if (!req.message) throw new ConnectError(`Could not kill frame ${id} without a reason (message is empty)`, Code.FailedPrecondition);
        ops.kill(id, req.message);
        return {};
      }),
    status: (req) =>
      guard("RunningFrame.Status", () => {
        if (!req.runFrame) invalid("Missing run_frame in request");
        return { runningFrameInfo: ops.frameInfo(needFrameId(req.runFrame!.frameId), " on this host") };
      }),
  });
  const server = await createGrpcServer({ host: opts.host, port: opts.port, services: [rqd, running] });
  return { address: server.address, port: server.port, close: () => server.close() };
}
