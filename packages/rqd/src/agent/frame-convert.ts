// RunFrame (wire) <-> FrameSpec (frame-runner) and the RunningFrameInfo Cuebot reads back. Pure.
import type { FrameExit, FrameSpec, FrameStats } from "@opencue-ts/frame-runner";
import type { FrameCompleteReport, MessageInitShape, RunFrame, RunningFrameInfo, RenderHost } from "@opencue-ts/proto";
import { FrameCompleteReportSchema, RunningFrameInfoSchema, create } from "@opencue-ts/proto";
import { isAbsolute } from "node:path";

export interface SpecDefaults {
  defaultGid: number;
  /** Logical CPU ids the frame is pinned to ([] = not pinned). */
  cpuIds: number[];
  hyperthreading: boolean;
  gpuIds: number[];
}

const kb = (v: bigint): number => (v > 0n ? Number(v) : 0);

/** A RunFrame as frame-runner's FrameSpec. Field checks are frame-runner's validateFrameSpec. */
export function runFrameToSpec(rf: RunFrame, d: SpecDefaults): FrameSpec {
  return {
    resourceId: rf.resourceId,
    jobId: rf.jobId,
    jobName: rf.jobName,
    layerId: rf.layerId,
    frameId: rf.frameId,
    frameName: rf.frameName,
    show: rf.show,
    shot: rf.shot,
    command: rf.command,
    userName: rf.userName,
    uid: rf.uidOptional.case === "uid" ? rf.uidOptional.value : null,
    gid: rf.gid > 0 ? rf.gid : d.defaultGid,
    environment: { ...rf.environment },
    logDir: rf.logDir,
    numCores: rf.numCores,
    reservedCpuIds: d.cpuIds,
    hyperthreading: d.hyperthreading,
    gpuIds: d.gpuIds,
    softMemoryLimitKb: kb(rf.softMemoryLimit),
    hardMemoryLimitKb: kb(rf.hardMemoryLimit),
    // Cuebot's frame temp dir becomes the frame's TMPDIR; a relative one (never sent by Cuebot) is ignored.
    frameTempDir: rf.frameTempDir && isAbsolute(rf.frameTempDir) ? rf.frameTempDir : "",
    startTime: Number(rf.startTime),
  };
}

/** Whether a frame asks for CPU pinning: Cuebot sets CUE_THREADABLE=1 for threadable layers (as RQD checks). */
export const wantsPinning = (rf: RunFrame): boolean => rf.environment.CUE_THREADABLE === "1";

const big = (n: number) => BigInt(Math.max(0, Math.round(n)));

/** report.RunningFrameInfo: ids from the RunFrame, memory in KB, start time in epoch ms, LLU in epoch s. */
export function runningFrameInfo(rf: RunFrame, stats: FrameStats | null, launchedAt: number): RunningFrameInfo {
  const init: MessageInitShape<typeof RunningFrameInfoSchema> = {
    resourceId: rf.resourceId,
    jobId: rf.jobId,
    jobName: rf.jobName,
    frameId: rf.frameId,
    frameName: rf.frameName,
    layerId: rf.layerId,
    numCores: rf.numCores,
    numGpus: rf.numGpus,
    attributes: { ...rf.attributes },
    startTime: big(stats?.startTime ?? launchedAt),
  };
  if (stats) {
    Object.assign(init, {
      rss: big(stats.rssKb), maxRss: big(stats.maxRssKb), pss: big(stats.pssKb), maxPss: big(stats.maxPssKb),
      vsize: big(stats.vsizeKb), maxVsize: big(stats.maxVsizeKb), usedSwapMemory: big(stats.swapKb),
      lluTime: big(stats.lluTime), children: { children: stats.children },
    });
  }
  return create(RunningFrameInfoSchema, init);
}

/** report.FrameCompleteReport for a frame's end. `host` is the host as it was when the frame ended. */
export function completionReport(host: RenderHost, frame: RunningFrameInfo, exit: Pick<FrameExit, "exitStatus" | "exitSignal" | "runTimeSeconds" | "maxRssKb">): FrameCompleteReport {
  const info = { ...frame };
  if (exit.maxRssKb > 0 && BigInt(exit.maxRssKb) > info.maxRss) info.maxRss = BigInt(exit.maxRssKb);
  return create(FrameCompleteReportSchema, { host, frame: info, exitStatus: exit.exitStatus, exitSignal: exit.exitSignal, runTime: Math.max(0, Math.round(exit.runTimeSeconds)) });
}

/** Physical cores a RunFrame books: its core units rounded up to whole cores (Cuebot may send 50 for half a core). */
export const coresToBook = (numCores: number, multiplier: number): number => Math.ceil(numCores / multiplier);
