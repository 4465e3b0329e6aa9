// The plan step: from one farm snapshot, the booking decisions of one scheduling tick.
import { SchedulerCoreError } from "./errors.js";
import type { PlanOptions } from "./options.js";
import type { PlanResult } from "./plan-result.js";
import type { FarmSnapshot } from "./snapshot.js";

/**
 * Decides which waiting frames start on which hosts now. Pure and deterministic: the same snapshot,
 * options (seed included) and `nowMs` give the same result. Throws SchedulerCoreError
 * ("inconsistent-snapshot" naming the bad id and field, or "invalid-options").
 */
export function plan(snapshot: FarmSnapshot, options: Partial<PlanOptions> = {}, nowMs = 0): PlanResult {
  void snapshot;
  void options;
  void nowMs;
  throw new SchedulerCoreError("invalid-options", "plan: not implemented yet");
}
