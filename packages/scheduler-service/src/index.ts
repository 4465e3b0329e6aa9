export { schedulerConfigSchema, loadSchedulerConfig, checkSchedulerConfig, SCHEDULER_SAMPLE_HEADER, type SchedulerConfig, type LoadSchedulerConfigOptions } from "./config/scheduler-config.js";
export { runSchedulerCli, parseSchedulerArgs, SCHEDULER_USAGE, type SchedulerCliAction, type SchedulerCliOptions } from "./cli.js";
