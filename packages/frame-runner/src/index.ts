export {
  createFrameRunner, FrameLaunchError,
  type FrameRunner, type FrameRunnerOptions, type LaunchOptions, type RunningFrame, type FrameEvent, type FinishedWhileDown,
  type FrameLaunchErrorCode, type Terminal, type Timers,
} from "./frame-runner.js";
export { transition, type FrameState, type FrameTransition } from "./frame-state.js";
export {
  FrameSpecError, validateFrameSpec, MEMORY_KILL_CAUSES, MAX_MEMORY_KB, MIN_HARD_LIMIT_KB,
  type FrameSpec, type FrameStats, type FrameExit, type KillCause,
} from "./frame-spec.js";
export { interpretExit, signalNumber, MEMORY_FAILURE_SIGNAL, UNKNOWN_EXIT } from "./exit-status.js";
export { buildFrameEnvironment, DEFAULT_FRAME_PATH, type FrameEnvironmentOptions } from "./frame-environment.js";
export { frameLogPath, rotatedLogName, formatHeader, formatFooter, localTimestamp, type HeaderInfo, type FooterProcess } from "./frame-log.js";
export { readFrameRecords, type FrameRecord } from "./frame-record.js";
export { selectFramesToKill, OOM_KILL_REASON, type HostMemory, type OomCandidate, type OomVictim, type OomDecision } from "./oom-policy.js";
export { createFrameCgroup, openFrameCgroup, parseMemoryEvents, parseCgroupProcs, type FrameCgroup } from "./frame-cgroup.js";
export { createBoundedWriter, type BoundedWriter } from "./bounded-writer.js";
export { loadNodePty, PtyUnavailableError } from "./frame-process.js";
export { parsePasswd, type PasswdEntry } from "./frame-user.js";
