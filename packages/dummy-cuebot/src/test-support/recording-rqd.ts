import {
  bindService,
  Code,
  ConnectError,
  create,
  createGrpcServer,
  HostReportSchema,
  RqdInterface,
  RunningFrame,
  RunningFrameInfoSchema,
  type HandlerContext,
  type RunFrame,
  type RunningFrameInfo,
} from "@opencue-ts/proto";

export interface RecordedCall {
  readonly method: string;
  readonly request: unknown;
}

export interface RecordingRqd {
  readonly port: number;
  readonly calls: RecordedCall[];
  readonly frames: Map<string, RunFrame>;
  readonly state: { lockedCores: number; nimby: boolean };
  /** Methods (by RPC name) that never answer: they wait for the caller's deadline. */
  readonly hang: Set<string>;
  close(): Promise<void>;
}

const TOTAL_CORES = 800;

function info(frame: RunFrame): RunningFrameInfo {
  return create(RunningFrameInfoSchema, {
    resourceId: frame.resourceId,
    jobId: frame.jobId,
    jobName: frame.jobName,
    frameId: frame.frameId,
    frameName: frame.frameName,
    layerId: frame.layerId,
    numCores: frame.numCores,
    startTime: frame.startTime,
    rss: 1024n,
    maxRss: 2048n,
    attributes: frame.attributes,
    numGpus: frame.numGpus,
  });
}

/** A small in-test RQD: serves rqd.RqdInterface and rqd.RunningFrame, records every call, keeps a frame table. */
export async function startRecordingRqd(): Promise<RecordingRqd> {
  const calls: RecordedCall[] = [];
  const frames = new Map<string, RunFrame>();
  const state = { lockedCores: 0, nimby: false };
  const hang = new Set<string>();

  const record = async (method: string, request: unknown, ctx: HandlerContext): Promise<void> => {
    calls.push({ method, request });
    if (hang.has(method)) {
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      ctx.signal.throwIfAborted();
    }
  };
  const find = (frameId: string): RunFrame => {
    const frame = frames.get(frameId);
    if (!frame) throw new ConnectError(`Could not find frame with id ${frameId}`, Code.NotFound);
    return frame;
  };

  const server = await createGrpcServer({
    closeGraceMs: 200,
    services: [
      bindService(RqdInterface, {
        launchFrame: async (req, ctx) => {
          await record("LaunchFrame", req, ctx);
          const frame = req.runFrame;
          if (!frame) throw new ConnectError("run_frame is required", Code.InvalidArgument);
          if (frame.numCores <= 0) throw new ConnectError("Not launching, num_cores must be positive", Code.InvalidArgument);
          if (frames.has(frame.frameId)) {
            throw new ConnectError(`Not lauching, frame is already running on this host ${frame.frameId}`, Code.InvalidArgument);
          }
          frames.set(frame.frameId, frame);
          return {};
        },
        killRunningFrame: async (req, ctx) => {
          await record("KillRunningFrame", req, ctx);
          find(req.frameId);
          frames.delete(req.frameId);
          return {};
        },
        getRunFrame: async (req, ctx) => {
          await record("GetRunFrame", req, ctx);
          return { runFrame: find(req.frameId) };
        },
        getRunningFrameStatus: async (req, ctx) => {
          await record("GetRunningFrameStatus", req, ctx);
          return { runningFrameInfo: info(find(req.frameId)) };
        },
        reportStatus: async (req, ctx) => {
          await record("ReportStatus", req, ctx);
          const booked = [...frames.values()].reduce((n, f) => n + f.numCores, 0);
          return {
            hostReport: create(HostReportSchema, {
              host: { name: "test-host", facility: "test", numProcs: 1, coresPerProc: TOTAL_CORES, totalMem: 16_777_216n, freeMem: 8_388_608n, nimbyEnabled: state.nimby, tags: ["test"] },
              frames: [...frames.values()].map(info),
              coreInfo: {
                totalCores: TOTAL_CORES,
                lockedCores: state.lockedCores,
                bookedCores: booked,
                idleCores: TOTAL_CORES - state.lockedCores - booked,
              },
            }),
          };
        },
        lock: async (req, ctx) => {
          await record("Lock", req, ctx);
          state.lockedCores = Math.min(TOTAL_CORES, state.lockedCores + req.cores);
          return {};
        },
        unlock: async (req, ctx) => {
          await record("Unlock", req, ctx);
          state.lockedCores = Math.max(0, state.lockedCores - req.cores);
          return {};
        },
        lockAll: async (req, ctx) => {
          await record("LockAll", req, ctx);
          state.lockedCores = TOTAL_CORES;
          return {};
        },
        unlockAll: async (req, ctx) => {
          await record("UnlockAll", req, ctx);
          state.lockedCores = 0;
          return {};
        },
        nimbyOn: async (req, ctx) => {
          await record("NimbyOn", req, ctx);
          state.nimby = true;
          return {};
        },
        nimbyOff: async (req, ctx) => {
          await record("NimbyOff", req, ctx);
          state.nimby = false;
          return {};
        },
        rebootNow: async (req, ctx) => (await record("RebootNow", req, ctx), {}),
        rebootIdle: async (req, ctx) => (await record("RebootIdle", req, ctx), {}),
        restartRqdNow: async (req, ctx) => (await record("RestartRqdNow", req, ctx), {}),
        restartRqdIdle: async (req, ctx) => (await record("RestartRqdIdle", req, ctx), {}),
        shutdownRqdNow: async (req, ctx) => (await record("ShutdownRqdNow", req, ctx), {}),
        shutdownRqdIdle: async (req, ctx) => (await record("ShutdownRqdIdle", req, ctx), {}),
      }),
      bindService(RunningFrame, {
        kill: async (req, ctx) => {
          await record("RunningFrame.Kill", req, ctx);
          const id = req.runFrame?.frameId ?? "";
          if (!frames.has(id)) throw new ConnectError(`Could not find frame with id ${id} to kill`, Code.NotFound);
          frames.delete(id);
          return {};
        },
        status: async (req, ctx) => {
          await record("RunningFrame.Status", req, ctx);
          const id = req.runFrame?.frameId ?? "";
          const frame = frames.get(id);
          if (!frame) throw new ConnectError(`Could not find frame with id ${id} on this host`, Code.NotFound);
          return { runningFrameInfo: info(frame) };
        },
      }),
    ],
  });

  return { port: server.port, calls, frames, state, hang, close: () => server.close() };
}

/** A loopback port with nothing listening (a server that was started and closed). */
export async function closedPort(): Promise<number> {
  const server = await createGrpcServer({ services: [] });
  await server.close();
  return server.port;
}
