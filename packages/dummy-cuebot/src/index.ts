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
