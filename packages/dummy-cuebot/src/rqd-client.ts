import {
  create,
  createRpcClient,
  createRpcTransport,
  RqdInterface,
  RunFrameSchema,
  RunningFrame,
  type CallOptions,
  type Client,
  type HostReport,
  type MessageInitShape,
  type RunFrame,
  type RunningFrameInfo,
} from "@opencue-ts/proto";
import { buildRunFrame, type LaunchFrameOptions, type RunFrameEnvironment } from "./run-frame.js";

export interface RqdClientOptions {
  readonly host: string;
  readonly port: number;
  /** Deadline for every call that does not pass its own. Default 10 s. */
  readonly timeoutMs?: number;
}

type RunFrameInit = MessageInitShape<typeof RunFrameSchema>;

/** Typed calls for every rqd.RqdInterface and rqd.RunningFrame method. Errors are ConnectErrors. */
export interface RqdClient {
  /** The raw generated clients, for requests the helpers below do not shape. */
  readonly rqd: Client<typeof RqdInterface>;
  readonly runningFrame: Client<typeof RunningFrame>;

  /** Sends a RunFrame as given (LaunchFrame). */
  launchFrame(frame: RunFrame | RunFrameInit, call?: CallOptions): Promise<RunFrame>;
  /** Builds a complete RunFrame for a command (see buildRunFrame) and launches it; resolves to what was sent. */
  launchCommand(options: LaunchFrameOptions, call?: CallOptions, env?: RunFrameEnvironment): Promise<RunFrame>;
  killRunningFrame(frameId: string, reason?: string, call?: CallOptions): Promise<void>;
  getRunFrame(
    request: { frameId: string; jobId?: string; layerId?: string; runFrameId?: number },
    call?: CallOptions,
  ): Promise<RunFrame | undefined>;
  getRunningFrameStatus(frameId: string, call?: CallOptions): Promise<RunningFrameInfo | undefined>;
  reportStatus(call?: CallOptions): Promise<HostReport | undefined>;
  lock(cores: number, call?: CallOptions): Promise<void>;
  unlock(cores: number, call?: CallOptions): Promise<void>;
  lockAll(call?: CallOptions): Promise<void>;
  unlockAll(call?: CallOptions): Promise<void>;
  nimbyOn(call?: CallOptions): Promise<void>;
  nimbyOff(call?: CallOptions): Promise<void>;
  rebootNow(call?: CallOptions): Promise<void>;
  rebootIdle(call?: CallOptions): Promise<void>;
  restartRqdNow(call?: CallOptions): Promise<void>;
  restartRqdIdle(call?: CallOptions): Promise<void>;
  shutdownRqdNow(call?: CallOptions): Promise<void>;
  shutdownRqdIdle(call?: CallOptions): Promise<void>;
  /** rqd.RunningFrame/Kill for the frame with this RunFrame (at least frame_id). */
  runningFrameKill(frame: RunFrame | RunFrameInit, reason?: string, call?: CallOptions): Promise<void>;
  /** rqd.RunningFrame/Status. */
  runningFrameStatus(frame: RunFrame | RunFrameInit, call?: CallOptions): Promise<RunningFrameInfo | undefined>;
  /** Ends the HTTP/2 session. */
  close(): void;
}

const toRunFrame = (frame: RunFrame | RunFrameInit): RunFrame =>
  "$typeName" in frame && frame.$typeName === "rqd.RunFrame" ? (frame as RunFrame) : create(RunFrameSchema, frame);

/** A client for one RQD host (plaintext HTTP/2, as RQD serves). */
export function createRqdClient(options: RqdClientOptions): RqdClient {
  const transport = createRpcTransport({
    host: options.host,
    port: options.port,
    defaultTimeoutMs: options.timeoutMs ?? 10_000,
  });
  const rqd = createRpcClient(RqdInterface, { transport });
  const runningFrame = createRpcClient(RunningFrame, { transport });
  const done = async (p: Promise<unknown>): Promise<void> => void (await p);

  const launchFrame = async (frame: RunFrame | RunFrameInit, call?: CallOptions): Promise<RunFrame> => {
    const runFrame = toRunFrame(frame);
    await rqd.launchFrame({ runFrame }, call);
    return runFrame;
  };

  return {
    rqd,
    runningFrame,
    launchFrame,
    launchCommand: (launch, call, env) => launchFrame(buildRunFrame(launch, env), call),
    killRunningFrame: (frameId, reason, call) => done(rqd.killRunningFrame({ frameId, message: reason ?? "No reason" }, call)),
    getRunFrame: async (request, call) => (await rqd.getRunFrame(request, call)).runFrame,
    getRunningFrameStatus: async (frameId, call) => (await rqd.getRunningFrameStatus({ frameId }, call)).runningFrameInfo,
    reportStatus: async (call) => (await rqd.reportStatus({}, call)).hostReport,
    lock: (cores, call) => done(rqd.lock({ cores }, call)),
    unlock: (cores, call) => done(rqd.unlock({ cores }, call)),
    lockAll: (call) => done(rqd.lockAll({}, call)),
    unlockAll: (call) => done(rqd.unlockAll({}, call)),
    nimbyOn: (call) => done(rqd.nimbyOn({}, call)),
    nimbyOff: (call) => done(rqd.nimbyOff({}, call)),
    rebootNow: (call) => done(rqd.rebootNow({}, call)),
    rebootIdle: (call) => done(rqd.rebootIdle({}, call)),
    restartRqdNow: (call) => done(rqd.restartRqdNow({}, call)),
    restartRqdIdle: (call) => done(rqd.restartRqdIdle({}, call)),
    shutdownRqdNow: (call) => done(rqd.shutdownRqdNow({}, call)),
    shutdownRqdIdle: (call) => done(rqd.shutdownRqdIdle({}, call)),
    runningFrameKill: (frame, reason, call) =>
      done(runningFrame.kill({ runFrame: toRunFrame(frame), message: reason ?? "No reason" }, call)),
    runningFrameStatus: async (frame, call) =>
      (await runningFrame.status({ runFrame: toRunFrame(frame) }, call)).runningFrameInfo,
    close: () => transport.close(),
  };
}
