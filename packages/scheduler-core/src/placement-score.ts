// E-PVM opportunity cost of putting a frame on a host (lower is better): how much of the host
// would be stranded, in fractions of frames, after packing as many of these frames as fit, plus a
// soft penalty for CPU frames on GPU hosts.
import type { ScoreWeights } from "./options.js";

export interface ScoreInput {
  /** Per-frame minimums (any consistent units: cores in whole cores, memory in KB). */
  readonly cores: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
  readonly idleCores: number;
  readonly idleMemoryKb: number;
  readonly idleGpus: number;
  readonly idleGpuMemoryKb: number;
  /** Whole cores the caps still allow after this frame's first booking; Infinity = none. */
  readonly capHeadroom?: number;
}

/** Additional frames of this shape that fit after the first (0 when no bound applies). */
export function computeMaxMore(i: ScoreInput): number {
  let best = Infinity;
  const dim = (idle: number, min: number) => {
    if (min > 0) best = Math.min(best, Math.floor((idle - min) / min));
  };
  dim(i.idleCores, i.cores);
  dim(i.idleMemoryKb, i.memoryKb);
  dim(i.idleGpus, i.gpus);
  dim(i.idleGpuMemoryKb, i.gpuMemoryKb);
  if (i.capHeadroom !== undefined && i.capHeadroom !== Infinity && i.cores > 0) best = Math.min(best, Math.floor(Math.max(0, i.capHeadroom) / i.cores));
  return best === Infinity ? 0 : Math.max(0, best);
}

export function placementScore(i: ScoreInput, w: ScoreWeights): number {
  const more = computeMaxMore(i);
  const waste = (idle: number, min: number) => (min > 0 ? (idle - min - more * min) / min : 0);
  let score = w.cores * waste(i.idleCores, i.cores) + w.mem * waste(i.idleMemoryKb, i.memoryKb);
  if (i.gpus > 0) score += w.gpus * waste(i.idleGpus, i.gpus) + w.gpuMem * waste(i.idleGpuMemoryKb, i.gpuMemoryKb);
  else score += w.gpuCountReservation * i.idleGpus + w.gpuMemReservation * (i.idleGpuMemoryKb / (1024 * 1024));
  return Math.max(0, score);
}
