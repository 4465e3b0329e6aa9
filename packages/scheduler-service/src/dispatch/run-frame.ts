// The RunFrame sent to RQD's LaunchFrame (reference §2.9), complete: command tokens replaced, chunk
// spec, memory limits, the CUE_* environment. Memory values are Cuebot's KB (Cuebot parity; the Rust
// scheduler's KB x 1000 / 1024 rounding is not reproduced).
import { create, RunFrameSchema, type RunFrame } from "@opencue-ts/proto";
import { parseFrameSet } from "@opencue-ts/cuebot-db";
import { SchedulerError } from "../errors.js";
import type { DispatchFrame, DispatchLayer } from "../db/layers.js";

export interface RunFrameInput {
  readonly procId: string;
  readonly layer: DispatchLayer;
  readonly frame: DispatchFrame;
  readonly coreUnits: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
  readonly hostOs: string;
  readonly softLimitFactor: number;
  readonly hardLimitFactor: number;
  readonly coreMultiplier: number;
  readonly now: number;
}

/** Integer prefix of a frame name before the first "-" ("0003-render" -> 3). */
export function frameNumber(frameName: string): number {
  const head = frameName.split("-", 1)[0]!;
  if (!/^-?\d+$/.test(head)) throw new SchedulerError("BAD_FRAME", `frame name "${frameName}" does not start with a frame number`);
  return Number(head);
}

/** Compact frame spec of a chunk: runs of a constant step as a-b or a-bxS ([1,2,3,5,6,7] -> "1-3,5-7"). */
export function compactFrameSpec(frames: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < frames.length) {
    if (i + 1 >= frames.length) {
      parts.push(String(frames[i]));
      break;
    }
    const step = frames[i + 1]! - frames[i]!;
    let j = i + 1;
    while (j + 1 < frames.length && frames[j + 1]! - frames[j]! === step) j++;
    if (j === i + 1 && step !== 1) {
      parts.push(String(frames[i])); // a 2-element run with a step is two numbers
      i += 1;
      continue;
    }
    parts.push(step === 1 ? `${frames[i]}-${frames[j]}` : `${frames[i]}-${frames[j]}x${step}`);
    i = j + 1;
  }
  return parts.join(",");
}

export interface FrameChunk {
  readonly number: number;
  readonly end: number;
  readonly spec: string;
}

export function frameChunk(layer: Pick<DispatchLayer, "range" | "chunkSize">, frameName: string): FrameChunk {
  const number = frameNumber(frameName);
  let frames: number[];
  try {
    frames = parseFrameSet(layer.range);
  } catch (e) {
    throw new SchedulerError("BAD_FRAME", `layer range "${layer.range}": ${(e as Error).message}`, { cause: e });
  }
  const index = frames.indexOf(number);
  if (index < 0) throw new SchedulerError("BAD_FRAME", `frame ${number} is not in the layer's range "${layer.range}"`);
  const chunk = frames.slice(index, index + Math.max(1, layer.chunkSize));
  return { number, end: chunk[chunk.length - 1]!, spec: layer.chunkSize <= 1 ? String(number) : compactFrameSpec(chunk) };
}

export function buildRunFrame(r: RunFrameInput): RunFrame {
  const { layer, frame } = r;
  const chunk = frameChunk(layer, frame.name);
  const command = layer.command
    .replaceAll("#ZFRAME#", String(chunk.number).padStart(4, "0"))
    .replaceAll("#IFRAME#", String(chunk.number))
    .replaceAll("#FRAME_START#", String(chunk.number))
    .replaceAll("#FRAME_END#", String(chunk.end))
    .replaceAll("#FRAME_CHUNK#", String(layer.chunkSize))
    .replaceAll("#LAYER#", layer.name)
    .replaceAll("#JOB#", layer.jobName)
    .replaceAll("#FRAMESPEC#", chunk.spec)
    .replaceAll("#FRAME#", frame.name);
  const wholeCores = Math.max(1, Math.trunc(r.coreUnits / r.coreMultiplier));
  const environment: Record<string, string> = {
    ...layer.env,
    CUE3: "1",
    CUE_THREADS: String(wholeCores),
    CUE_MEMORY: String(r.memoryKb),
    CUE_GPUS: String(r.gpus),
    CUE_GPU_MEMORY: String(r.gpuMemoryKb),
    CUE_LOG_PATH: layer.logDir,
    CUE_RANGE: layer.range,
    CUE_CHUNK: String(layer.chunkSize),
    CUE_IFRAME: String(chunk.number),
    CUE_LAYER: layer.name,
    CUE_JOB: layer.jobName,
    CUE_FRAME: frame.name,
    CUE_SHOW: layer.showName,
    CUE_SHOT: layer.shot,
    CUE_USER: layer.user,
    CUE_JOB_ID: layer.jobId,
    CUE_LAYER_ID: layer.id,
    CUE_FRAME_ID: frame.id,
    CUE_THREADABLE: layer.threadable ? "1" : "0",
  };
  return create(RunFrameSchema, {
    resourceId: r.procId,
    jobId: layer.jobId,
    jobName: layer.jobName,
    frameId: frame.id,
    frameName: frame.name,
    layerId: layer.id,
    command,
    userName: layer.user,
    logDir: layer.logDir,
    show: layer.showName,
    shot: layer.shot,
    jobTempDir: "deprecated",
    logFile: "deprecated",
    logDirFile: "deprecated",
    frameTempDir: "",
    startTime: BigInt(r.now),
    ...(layer.uid !== null ? { uidOptional: { case: "uid" as const, value: layer.uid } } : {}),
    numCores: r.coreUnits,
    numGpus: r.gpus,
    gid: 0,
    pid: 0,
    ignoreNimby: false,
    os: r.hostOs,
    softMemoryLimit: BigInt(Math.round(r.memoryKb * r.softLimitFactor)),
    hardMemoryLimit: BigInt(Math.round(r.memoryKb * r.hardLimitFactor)),
    lokiUrl: layer.lokiUrl ?? "",
    environment,
    attributes: {},
  });
}
