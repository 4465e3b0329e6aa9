// A synthetic farm for the simulator, in human units (cores, GB, milliseconds).
import type { LockState, ThreadMode } from "../snapshot.js";

export type RuntimeDistribution =
  | { readonly kind: "fixed"; readonly ms: number }
  | { readonly kind: "uniform"; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: "lognormal"; readonly medianMs: number; readonly sigma: number };

export interface SimHostGroup {
  readonly count: number;
  readonly cores: number;
  readonly memoryGb: number;
  readonly gpus?: number;
  readonly gpuMemoryGb?: number;
  /** Allocation name; its tag is added to the hosts' tags. */
  readonly alloc: string;
  readonly tags?: readonly string[];
  readonly os?: string;
  readonly threadMode?: ThreadMode;
  readonly lockState?: LockState;
}

export interface SimLayer {
  readonly frames: number;
  readonly cores: number;
  readonly memoryGb: number;
  readonly gpus?: number;
  readonly gpuMemoryGb?: number;
  readonly tags: readonly string[];
  readonly threadable?: boolean;
  readonly runtime: RuntimeDistribution;
  /** The estimate the engine sees (default: the distribution's mean). */
  readonly estimateMs?: number;
  readonly limits?: readonly string[];
}

export interface SimJobStream {
  /** Jobs submitted in this stream. */
  readonly count: number;
  /** First submission (default 0). */
  readonly startMs?: number;
  /** Mean time between submissions (exponential); 0 = all at startMs. */
  readonly meanInterArrivalMs?: number;
  readonly priority?: number;
  /** Job max cores (whole cores, 0 = none). */
  readonly maxCores?: number;
  readonly layers: readonly SimLayer[];
}

export interface SimShow {
  readonly name: string;
  /** Entitlement (size) and cap (burst) per allocation, in whole cores. */
  readonly subscriptions: readonly { readonly alloc: string; readonly size: number; readonly burst: number }[];
  readonly jobs: readonly SimJobStream[];
  /** Folder max cores (whole cores, 0 = none). */
  readonly folderMaxCores?: number;
}

export interface FarmSpec {
  readonly seed?: number;
  readonly allocs: readonly { readonly name: string; readonly tag?: string }[];
  readonly hosts: readonly SimHostGroup[];
  readonly shows: readonly SimShow[];
  readonly limits?: readonly { readonly name: string; readonly max: number }[];
}
