import { randomUUID } from "node:crypto";
import type { FrameSpec } from "../frame-spec.js";

export function makeSpec(logDir: string, command: string, over: Partial<FrameSpec> = {}): FrameSpec {
  return {
    resourceId: randomUUID(), jobId: randomUUID(), jobName: "show-shot-job", layerId: randomUUID(), frameId: randomUUID(),
    frameName: `0001-${Math.random().toString(36).slice(2, 8)}`, show: "show", shot: "shot", command, userName: "artist",
    uid: null, gid: 0, environment: { CUE_THREADS: "2", CUE_MEMORY: "1048576" }, logDir, numCores: 200, reservedCpuIds: [],
    hyperthreading: false, gpuIds: [], softMemoryLimitKb: 0, hardMemoryLimitKb: 0, frameTempDir: "", startTime: Date.now(),
    ...over,
  };
}
