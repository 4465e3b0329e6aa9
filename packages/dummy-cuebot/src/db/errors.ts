// One error type for the DB-backed parts of dummy-cuebot; the code says what went wrong so callers
// (the CLI, the report server) can map it without parsing messages.
export type DummyCuebotErrorCode =
  /** A report lacks a field the handling needs (host name, frame id, ...). */
  | "INVALID_REPORT"
  /** A host reports less memory than Cuebot's dispatcher.memory.mem_reserved_min. */
  | "HOST_TOO_SMALL"
  /** A job spec (file or flags) is malformed. */
  | "INVALID_SPEC"
  /** A named job, layer, frame or host does not exist. */
  | "NOT_FOUND"
  /** The frame is not running anywhere (nothing to kill). */
  | "NOT_RUNNING";

export class DummyCuebotError extends Error {
  override readonly name = "DummyCuebotError";
  constructor(
    readonly code: DummyCuebotErrorCode,
    message: string,
  ) {
    super(message);
  }
}
