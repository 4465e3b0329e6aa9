// How many cores a frame gets on a host (reference §2.5). Whole cores; memory in KB.
export interface SizingInput {
  /** layer.int_cores_min in whole cores (truncated): <0 all but N, 0 whole host. */
  readonly minCores: number;
  readonly threadable: boolean;
  /** Per-frame core limit in whole cores (0 = none). */
  readonly coresLimit: number;
  readonly selfish: boolean;
  readonly minMemoryKb: number;
  /** 0 AUTO, 1 ALL, 2 VARIABLE. */
  readonly threadMode: number;
  readonly idleCores: number;
  readonly totalCores: number;
  readonly idleMemoryKb: number;
  readonly totalMemoryKb: number;
  readonly strandedThresholdKb: number;
  /** Cores the job may still take (null = no cap). */
  readonly jobRemaining: number | null;
}

export const THREAD_MODE_ALL = 1;
export const THREAD_MODE_VARIABLE = 2;

/** Cores to reserve, or 0 when the frame cannot be placed (job at cap). */
export function chooseCores(s: SizingInput): number {
  const requested = s.minCores < 0 ? s.totalCores + s.minCores : s.minCores === 0 ? s.totalCores : s.minCores;
  const demand = s.threadable ? requested : 1;
  if (s.jobRemaining !== null && s.jobRemaining < demand) return 0;
  const limit = s.coresLimit > 0 ? s.coresLimit : Number.POSITIVE_INFINITY;
  let cores: number;
  if (!s.threadable) cores = 1;
  else if (s.threadMode === THREAD_MODE_ALL) cores = Math.min(s.idleCores, limit);
  else if (s.threadMode === THREAD_MODE_VARIABLE && requested <= 2) cores = 2;
  else if (s.selfish || Math.max(0, s.idleMemoryKb - s.minMemoryKb) <= s.strandedThresholdKb) {
    // Booking would strand the host's memory: give the frame what is left.
    cores = Math.min(s.idleCores, limit);
  } else {
    const memoryPerCore = Math.round(s.totalMemoryKb / Math.max(1, s.totalCores));
    const worth = memoryPerCore > 0 ? Math.floor(s.minMemoryKb / memoryPerCore) : 0;
    cores = Math.min(worth < requested ? requested : worth, limit);
  }
  if (s.jobRemaining !== null && s.jobRemaining > 0) cores = Math.min(cores, s.jobRemaining);
  return cores;
}
