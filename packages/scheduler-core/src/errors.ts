// One error type for the package; `code` says what went wrong, `entity`/`id`/`field` say where.

export type SchedulerCoreErrorCode =
  /** The snapshot contradicts itself: unknown ids, duplicates, negative or impossible values. */
  | "inconsistent-snapshot"
  /** Plan, cluster or simulator options out of range. */
  | "invalid-options"
  /** A host-index operation with a stale version, or on a host not checked out. */
  | "version-conflict"
  /** A host-index operation on a host the index does not hold. */
  | "unknown-host";

export interface SchedulerCoreErrorDetails {
  readonly entity?: string;
  readonly id?: string;
  readonly field?: string;
}

export class SchedulerCoreError extends Error {
  override readonly name = "SchedulerCoreError";
  readonly code: SchedulerCoreErrorCode;
  readonly entity: string | undefined;
  readonly id: string | undefined;
  readonly field: string | undefined;

  constructor(code: SchedulerCoreErrorCode, message: string, details: SchedulerCoreErrorDetails = {}) {
    super(message);
    this.code = code;
    this.entity = details.entity;
    this.id = details.id;
    this.field = details.field;
  }
}

/** Shorthand for the common case: entity `id` has a bad `field`. */
export function inconsistent(entity: string, id: string, field: string, problem: string): SchedulerCoreError {
  return new SchedulerCoreError("inconsistent-snapshot", `${entity} ${id}: ${field} ${problem}`, { entity, id, field });
}
