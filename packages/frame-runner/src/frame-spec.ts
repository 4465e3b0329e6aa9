// What one frame is: a plain, RunFrame-shaped description (no protobuf dependency), and its outcome.
import type { ChildProcStatsLike } from "@opencue-ts/host-monitor";

export interface FrameSpec {
  resourceId: string;
  jobId: string;
  jobName: string;
  layerId: string;
  frameId: string;
  frameName: string;
  show: string;
  shot: string;
  command: string;
  userName: string;
  /** The frame user's uid/gid; null uid means "not sent" (RunFrame's oneof), and the runner's default applies. */
  uid: number | null;
  gid: number;
  /** RunFrame.environment as Cuebot sent it (CUE_* and the job's own variables). */
  environment: Record<string, string>;
  logDir: string;
  /** Cores in Cuebot's core units (100 = one core). */
  numCores: number;
  /** Logical CPU ids reserved for the frame (affinity); empty means no pinning. */
  reservedCpuIds: number[];
  /** Whether those CPUs include hyperthread siblings (CUE_HT). */
  hyperthreading: boolean;
  gpuIds: number[];
  /** KiB; 0 means no limit. */
  softMemoryLimitKb: number;
  hardMemoryLimitKb: number;
  /** Per-frame temp dir; created when missing. Empty: none. */
  frameTempDir: string;
  /** Cuebot's dispatch time (epoch ms); 0 if unknown. */
  startTime: number;
}

export type KillCause = "request" | "memory-limit" | "oom" | "nimby" | "shutdown" | "timeout";

export interface FrameStats {
  pid: number;
  /** Epoch ms the process started. */
  startTime: number;
  rssKb: number;
  maxRssKb: number;
  pssKb: number;
  maxPssKb: number;
  vsizeKb: number;
  maxVsizeKb: number;
  swapKb: number;
  cpuSeconds: number;
  processCount: number;
  /** Epoch seconds of the last write to the frame log (Cuebot's LLU time). */
  lluTime: number;
  children: ChildProcStatsLike[];
}

export interface FrameExit {
  /** As Cuebot expects it: the exit code, 1 when a signal ended the frame. */
  exitStatus: number;
  /** The signal that ended the frame, 0 if none; 33 for memory failures (Cuebot's code). */
  exitSignal: number;
  runTimeSeconds: number;
  maxRssKb: number;
  killedBy: KillCause | null;
  killReason: string | null;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  /** How the end was learned: "wait" (our child), "exit-file" (re-adopted or ended while the agent was down). */
  source: "wait" | "exit-file" | "unknown";
}

/** Why a spec cannot run; `field` names the bad input. */
export class FrameSpecError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "FrameSpecError";
  }
}

export function validateFrameSpec(spec: FrameSpec): void {
  const need = (field: keyof FrameSpec) => {
    if (typeof spec[field] !== "string" || (spec[field] as string).trim() === "") throw new FrameSpecError(field, "must not be empty");
  };
  need("frameId");
  need("jobName");
  need("frameName");
  need("command");
  need("logDir");
  if (!Number.isInteger(spec.numCores) || spec.numCores <= 0) throw new FrameSpecError("numCores", `must be a positive number of core units, got ${spec.numCores}`);
  if (spec.uid !== null && (!Number.isInteger(spec.uid) || spec.uid < 0)) throw new FrameSpecError("uid", `must be a non-negative integer, got ${spec.uid}`);
  for (const name of [spec.jobName, spec.frameName]) {
    if (name.includes("/") || name.includes("\0")) throw new FrameSpecError("frameName", `must not contain "/" (it names the log file): ${JSON.stringify(name)}`);
  }
}
