// The state a frame takes when RQD reports it complete, decided as Cuebot's
// FrameCompleteHandler.determineFrameState does (layer delay rules and memory-kill retouching left
// out). Pure: inputs in, state out.

export type FrameState = "WAITING" | "RUNNING" | "SUCCEEDED" | "DEAD" | "EATEN" | "DEPEND" | "CHECKPOINT" | "SETUP";

/** Exit statuses with a meaning to Cuebot (FrameExitStatus and Dispatcher constants). */
export const EXIT_STATUS = {
  SKIP_RETRY: 286,
  FAILED_LAUNCH: 256,
  MEMORY_FAILURE: 33,
  DOCKER_MEMORY_FAILURE: 137,
  FRAME_CLEARED: 299,
  FRAME_ORPHAN: 301,
  FAILED_KILL: 302,
  DOWN_HOST: 399,
} as const;

/** Dispatcher.FRAME_TIME_NO_RETRY: a frame running longer than 12 h is not retried. */
export const FRAME_TIME_NO_RETRY_S = 12 * 3600;

export interface CompletionFacts {
  /** The frame's state in the database when the report arrives. */
  readonly frameState: string;
  /** frame.int_retries. */
  readonly retries: number;
  /** job.int_max_retries. */
  readonly maxRetries: number;
  /** job.b_autoeat. */
  readonly autoEat: boolean;
  /** layer.int_timeout (minutes, 0 = none). */
  readonly layerTimeoutMin: number;
  /** layer.int_timeout_llu (minutes, 0 = none). */
  readonly layerTimeoutLluMin: number;
  readonly exitStatus: number;
  readonly exitSignal: number;
  /** Seconds, as RQD measured. */
  readonly runTimeS: number;
  /** Frame log mtime, epoch seconds (0 unknown). */
  readonly lluTimeS: number;
  readonly hostNimbyLocked: boolean;
  /** Epoch seconds now. */
  readonly nowS: number;
}

const isMemoryFailure = (f: CompletionFacts): boolean =>
  f.exitStatus === EXIT_STATUS.MEMORY_FAILURE || f.exitSignal === EXIT_STATUS.MEMORY_FAILURE || f.exitStatus === EXIT_STATUS.DOCKER_MEMORY_FAILURE;

export function determineFrameState(f: CompletionFacts): FrameState {
  // Set by hand (retry/eat) before the kill: keep it.
  if (f.frameState === "WAITING" || f.frameState === "EATEN") return f.frameState;
  if (f.frameState === "DEAD") return f.autoEat ? "EATEN" : "DEPEND";
  if (f.exitStatus === 0) return "SUCCEEDED";
  if (f.exitStatus === EXIT_STATUS.SKIP_RETRY || (f.maxRetries !== 0 && f.exitSignal === 119)) return "WAITING";
  if ((f.exitStatus === EXIT_STATUS.FAILED_LAUNCH || f.exitSignal === EXIT_STATUS.FAILED_LAUNCH) && f.retries < f.maxRetries) return "WAITING";
  // Killed by a NIMBY lock: retried even past the retry count.
  if (f.hostNimbyLocked && f.exitSignal === 15) return "WAITING";
  if (f.autoEat) return "EATEN";
  const minutesSinceLogUpdate = Math.trunc((f.nowS - f.lluTimeS) / 60);
  if (f.layerTimeoutLluMin !== 0 && f.lluTimeS !== 0 && minutesSinceLogUpdate > f.layerTimeoutLluMin - 1) return "DEAD";
  if (f.layerTimeoutMin !== 0 && f.runTimeS > f.layerTimeoutMin * 60) return "DEAD";
  if (f.runTimeS > FRAME_TIME_NO_RETRY_S) return "DEAD";
  if (f.retries >= f.maxRetries && !isMemoryFailure(f)) return "DEAD";
  return "WAITING";
}
