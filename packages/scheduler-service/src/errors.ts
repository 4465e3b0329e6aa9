// One error type for the service, with a code that says what went wrong (logs and metrics use it).
export type SchedulerErrorCode =
  | "INVALID_FACILITY" // scheduler.facility names no facility
  | "INVALID_SHOW" // scheduler.shows names a show that does not exist
  | "DATABASE_UNREACHABLE"
  | "SCHEMA_INCOMPATIBLE"
  | "BAD_FRAME" // a frame whose name/range cannot produce a RunFrame
  | "RQD_UNREACHABLE"
  | "RQD_REJECTED"
  | "COORDINATION" // instance registry / leases failed
  | "CONFIG_INVALID"; // a setting that cannot work on this host (named in the message)

export class SchedulerError extends Error {
  override readonly name = "SchedulerError";
  constructor(readonly code: SchedulerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
