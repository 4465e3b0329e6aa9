// Retryability is data: what to do with a failed report call, decided by its gRPC code. Transient codes are
// retried with exponential backoff and jitter; codes that no retry can fix are not.
import { Code } from "@opencue-ts/proto";

export const RETRYABLE_CODES: ReadonlySet<Code> = new Set([
  Code.Unavailable, // connection refused or reset, DNS, Cuebot restarting
  Code.DeadlineExceeded,
  Code.ResourceExhausted, // Cuebot's report queue is full
  Code.Aborted,
  Code.Internal, // a proxy's 5xx surfaces as INTERNAL
  Code.Unknown, // an exception in Cuebot's handler: often a transient database error
  Code.Canceled,
]);

export function isRetryable(code: Code): boolean {
  return RETRYABLE_CODES.has(code);
}

export interface BackoffSettings {
  minMs: number;
  maxMs: number;
  /** 0..100: up to this percent of the delay is added at random. */
  jitterPercent: number;
}

/** Delay before retry `attempt` (0-based): min × 2^attempt capped at max, plus jitter, never above max. */
export function backoffDelay(attempt: number, s: BackoffSettings, random: () => number = Math.random): number {
  const base = Math.min(s.minMs * 2 ** Math.min(attempt, 40), s.maxMs);
  const jitter = base * (s.jitterPercent / 100) * random();
  return Math.min(base + jitter, s.maxMs);
}
