export { rqdConfigSchema, loadRqdConfig, expandHome, RQD_SAMPLE_HEADER, type RqdConfig, type LoadRqdConfigOptions } from "./config/rqd-config.js";
export { runRqdCli, parseRqdArgs, RQD_USAGE, type RqdCliAction, type RqdCliOptions } from "./cli.js";
export { createCoreReservations, CoreReservationError, type CoreReservations, type Booking, type CoreDetailCounts } from "./cores/core-reservations.js";
export { openDurableQueue, type DurableQueue, type QueueCodec, type QueueEntry } from "./reporting/durable-queue.js";
export { isRetryable, backoffDelay, RETRYABLE_CODES, type BackoffSettings } from "./reporting/retry-policy.js";
