export { createFrameRunner, FrameLaunchError, type FrameRunner, type FrameRunnerOptions, type RunningFrame, type FrameState, type FrameEvent, type FinishedWhileDown } from "./frame-runner.js";
export { FrameSpecError, validateFrameSpec, type FrameSpec, type FrameStats, type FrameExit, type KillCause } from "./frame-spec.js";
export { interpretExit, signalNumber, MEMORY_FAILURE_SIGNAL } from "./exit-status.js";
export { buildFrameEnvironment, DEFAULT_FRAME_PATH, type FrameEnvironmentOptions } from "./frame-environment.js";
export { frameLogPath, rotatedLogName, formatHeader, formatFooter, localTimestamp, type HeaderInfo, type FooterProcess } from "./frame-log.js";
export { readFrameRecords, type FrameRecord } from "./frame-record.js";
