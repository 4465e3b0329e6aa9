// How many cores a frame gets on a given host (the reference's §2.5 rules), in whole cores.

import type { ThreadMode } from "./snapshot.js";

export interface CoreSizingInput {
  /** The layer's minimum in whole cores: > 0 wanted, 0 the whole host, < 0 all but that many. */
  readonly minCores: number;
  readonly threadable: boolean;
  /** The layer's per-frame cap in whole cores; <= 0 = none. */
  readonly maxCores: number;
  /** A selfish service: the frame takes every idle core. */
  readonly selfish: boolean;
  readonly minMemoryKb: number;
  readonly threadMode: ThreadMode;
  readonly idleCores: number;
  readonly totalCores: number;
  readonly idleMemoryKb: number;
  readonly totalMemoryKb: number;
  readonly memoryStrandedThresholdKb: number;
  /** Whole cores the caps still allow (job, folder, subscription); Infinity = no cap. */
  readonly budget: number;
}

/** The least a frame must get: 1 for non-threadable frames, else its request on this host. */
export function requestedCores(minCores: number, threadable: boolean, totalCores: number): number {
  if (!threadable) return 1;
  if (minCores < 0) return totalCores + minCores;
  if (minCores === 0) return totalCores;
  return minCores;
}

/**
 * Cores for the frame, or 0 when it cannot run on this host (does not fit, or the caps leave less
 * than its request). Never more than idle, total or budget.
 */
export function coresForFrame(i: CoreSizingInput): number {
  const demand = requestedCores(i.minCores, i.threadable, i.totalCores);
  if (demand < 1) return 0;
  if (!i.threadable) return i.idleCores >= 1 && i.budget >= 1 ? 1 : 0;
  const limit = i.maxCores > 0 ? i.maxCores : Infinity;
  // The layer's cap wins over its request (a 4-core request capped at 2 runs on 2).
  const least = Math.min(demand, limit);
  if (least > i.idleCores || least > i.budget) return 0;
  if (i.threadMode === "VARIABLE" && demand <= 2) {
    // Variable-mode hosts never run a threadable frame on a single core.
    const cores = Math.min(2, limit);
    return cores <= i.idleCores && cores <= i.budget ? cores : 0;
  }
  let cores: number;
  if (i.threadMode === "ALL") {
    cores = limit;
  } else if (i.selfish || Math.max(0, i.idleMemoryKb - i.minMemoryKb) <= i.memoryStrandedThresholdKb) {
    // So little memory would be left that the leftover cores could not run anything: take them.
    cores = limit;
  } else {
    const perCore = Math.round(i.totalMemoryKb / Math.max(1, i.totalCores));
    const worth = perCore > 0 ? Math.floor(i.minMemoryKb / perCore) : 0;
    cores = Math.min(Math.max(worth, demand), limit);
  }
  return Math.min(cores, i.idleCores, i.budget);
}
