// What one frame is: a plain, RunFrame-shaped description (no protobuf dependency), its statistics and
// its outcome; and the checks that refuse bad input before anything is created on disk.
import { isAbsolute } from "node:path";
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
  /** Per-frame temp dir; created when missing (and then removed at the end). Empty: none. */
  frameTempDir: string;
  /** Cuebot's dispatch time (epoch ms); 0 if unknown. */
  startTime: number;
}

/**
 * Why the runner killed a frame. "memory-limit": our watchdog saw the tree pass its hard limit;
 * "kernel-oom": the kernel OOM killer acted inside the frame's cgroup (memory.max); "oom": the host-level
 * OOM policy chose it. All three are reported as memory failures (signal 33).
 */
export type KillCause = "user" | "memory-limit" | "kernel-oom" | "oom" | "nimby" | "shutdown" | "timeout";

export const MEMORY_KILL_CAUSES: readonly KillCause[] = ["memory-limit", "kernel-oom", "oom"];

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
  /** How the end was learned: "wait" (our child), "exit-file" (re-adopted or ended while the agent was down), "unknown". */
  source: "wait" | "exit-file" | "unknown";
  /** Processes of the frame still alive after it ended (or escaped its process group), killed by the runner. */
  leftoverPids: number[];
}

/** Why a spec cannot run; `field` names the bad input. Nothing has been created when it is thrown. */
export class FrameSpecError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "FrameSpecError";
  }
}

/** 1 PiB: a limit above this is a unit mistake, not a frame. */
export const MAX_MEMORY_KB = 2 ** 40;
/** Nothing can even exec below 1 MiB: a hard limit under this is a unit mistake. */
export const MIN_HARD_LIMIT_KB = 1024;

const fail = (field: string, message: string): never => {
  throw new FrameSpecError(field, message);
};
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

/** A name that becomes part of a file name (log, state record, cgroup): no separators, no `..`. */
function checkName(field: string, value: unknown): void {
  if (typeof value !== "string" || value.trim() === "") fail(field, "must not be empty");
  const v = value as string;
  if (v.length > 200) fail(field, `is ${v.length} characters long; at most 200`);
  if (/[/\\\0]/.test(v) || v.includes("..")) fail(field, `must not contain "/", "\\", NUL or ".." (it names files): ${JSON.stringify(v)}`);
}

function checkPath(field: string, value: unknown, optional: boolean): void {
  if (typeof value !== "string") return fail(field, "must be a string");
  if (value === "") return optional ? undefined : fail(field, "must not be empty");
  if (!isAbsolute(value)) fail(field, `must be an absolute path: ${JSON.stringify(value)}`);
  if (value.includes("\0") || value.split("/").includes("..")) fail(field, `must not contain ".." segments or NUL: ${JSON.stringify(value)}`);
}

function checkIds(field: string, ids: unknown, max: number): void {
  if (!Array.isArray(ids)) return fail(field, "must be an array");
  const seen = new Set<number>();
  for (const id of ids) {
    if (!isInt(id, 0, max - 1)) fail(field, `${String(id)} is not a valid id (0..${max - 1})`);
    if (seen.has(id as number)) fail(field, `${String(id)} is listed twice`);
    seen.add(id as number);
  }
}

/** Pure checks of a spec. `cpuCount`: logical CPUs on this host, so affinity to a missing CPU is refused. */
export function validateFrameSpec(spec: FrameSpec, host: { cpuCount?: number } = {}): void {
  if (typeof spec !== "object" || spec === null) fail("spec", "must be an object");
  checkName("frameId", spec.frameId);
  checkName("jobName", spec.jobName);
  checkName("frameName", spec.frameName);
  if (typeof spec.command !== "string" || spec.command.trim() === "") fail("command", "must not be empty");
  if (spec.command.includes("\0")) fail("command", "must not contain NUL");
  if (typeof spec.userName !== "string" || spec.userName === "" || /[:/\s\0]/.test(spec.userName)) fail("userName", `is not a user name: ${JSON.stringify(spec.userName)}`);
  checkPath("logDir", spec.logDir, false);
  checkPath("frameTempDir", spec.frameTempDir, true);
  if (!isInt(spec.numCores, 1, 100 * 65536)) fail("numCores", `must be a positive whole number of core units, got ${spec.numCores}`);
  if (spec.uid !== null && !isInt(spec.uid, 0, 2 ** 32 - 2)) fail("uid", `must be a non-negative integer, got ${spec.uid}`);
  if (!isInt(spec.gid, 0, 2 ** 32 - 2)) fail("gid", `must be a non-negative integer, got ${spec.gid}`);
  checkIds("reservedCpuIds", spec.reservedCpuIds, host.cpuCount ?? 65536);
  checkIds("gpuIds", spec.gpuIds, 1024);
  for (const field of ["softMemoryLimitKb", "hardMemoryLimitKb"] as const) {
    if (!isInt(spec[field], 0, MAX_MEMORY_KB)) fail(field, `must be a whole number of KiB between 0 and ${MAX_MEMORY_KB}, got ${spec[field]}`);
  }
  if (spec.hardMemoryLimitKb > 0 && spec.hardMemoryLimitKb < MIN_HARD_LIMIT_KB) fail("hardMemoryLimitKb", `${spec.hardMemoryLimitKb} KiB is too small to run anything (at least ${MIN_HARD_LIMIT_KB})`);
  if (spec.hardMemoryLimitKb > 0 && spec.softMemoryLimitKb > spec.hardMemoryLimitKb) fail("softMemoryLimitKb", `${spec.softMemoryLimitKb} KiB is above the hard limit ${spec.hardMemoryLimitKb} KiB`);
  if (typeof spec.environment !== "object" || spec.environment === null) fail("environment", "must be an object");
  for (const [k, v] of Object.entries(spec.environment)) {
    if (k === "" || k.includes("=") || k.includes("\0")) fail("environment", `bad variable name ${JSON.stringify(k)}`);
    if (typeof v !== "string" || v.includes("\0")) fail("environment", `${k} must be a string without NUL`);
  }
  if (typeof spec.startTime !== "number" || !Number.isFinite(spec.startTime) || spec.startTime < 0) fail("startTime", `must be epoch ms, got ${spec.startTime}`);
}
