import {
  create,
  createRpcClient,
  createRpcTransport,
  HardwareState,
  RenderHostSchema,
  RqdReportInterface,
  type Client,
  type RpcTransport,
} from "@opencue-ts/proto";

/** What an RQD does towards Cuebot: a report.RqdReportInterface client. */
export function reportSender(port: number): { client: Client<typeof RqdReportInterface>; transport: RpcTransport } {
  const transport = createRpcTransport({ host: "127.0.0.1", port, defaultTimeoutMs: 5000 });
  return { client: createRpcClient(RqdReportInterface, { transport }), transport };
}

export const renderHost = (name: string) =>
  create(RenderHostSchema, { name, facility: "test", numProcs: 1, coresPerProc: 800, totalMem: 16_777_216n, freeMem: 9_007_199_254_740_993n, state: HardwareState.UP, tags: ["t"] });

export const coreInfo = { totalCores: 800, idleCores: 700, lockedCores: 0, bookedCores: 100 };

export const runningFrame = (frameId: string) => ({ frameId, jobName: "job", frameName: "0001-layer", numCores: 100, rss: 2048n, maxRss: 4096n });
