export {
  createReportServer,
  WaitForTimeoutError,
  type HostState,
  type ReceivedReport,
  type ReportKind,
  type ReportServer,
  type ReportServerOptions,
} from "./report-server.js";
export { createRqdClient, type RqdClient, type RqdClientOptions } from "./rqd-client.js";
export {
  buildRunFrame,
  CORE_UNITS_PER_CORE,
  frameLogPath,
  systemRunFrameEnvironment,
  type LaunchFrameOptions,
  type RunFrameEnvironment,
} from "./run-frame.js";
export {
  describeCallError,
  describeReport,
  grpcCodeName,
  hostReportTable,
  reportToJson,
  runningFrameInfoTable,
} from "./format.js";
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, RQD_CLIENT_COMMANDS, runCli, type CliIo } from "./cli.js";
export {
  createDbReportHandler,
  describeCompletion,
  DEFAULT_HOST_REGISTRATION,
  type DbReportHandler,
  type DbReportHandlerOptions,
  type ReportHandler,
} from "./db/db-report-handler.js";
export type { CompletionOutcome } from "./db/frame-completion.js";
export type { HostRegistrationOptions } from "./db/host-reports.js";
export type { LostProcSweep } from "./db/lost-procs.js";
export { determineFrameState, EXIT_STATUS, type CompletionFacts, type FrameState } from "./db/frame-state.js";
export { DummyCuebotError, type DummyCuebotErrorCode } from "./db/errors.js";
export type { CuebotDb } from "./db/db-types.js";
export { submitJob, parseJobSpec, jobInputFromDocument, parseMemoryKb, type JobInput, type LayerInput, type DependInput } from "./db/job-spec.js";
export { readJobProgress, doneCount, type JobProgress, type LayerProgress, type FrameCounts } from "./db/job-progress.js";
export { locateRunningFrame, type RunningFrameLocation } from "./db/kill-frame.js";
export { ensureAllocation, type AllocationRef } from "./db/allocation.js";
