// Plan options: the matching knobs of the scheduler config (queue.*) plus the engine's own
// (fair share, aging, reservations). All memory values are KB, cores are centicores.
import type { Cluster } from "./clusters.js";
import { SchedulerCoreError } from "./errors.js";

export type Placement = "first-fit" | "scored";
/** "priority": effective priority, FIFO on ties (Rust scheduler / Cuebot). "lottery": Maestro's priority-weighted lottery. */
export type JobOrder = "priority" | "lottery";

/** queue.host_booking_strategy.weights (E-PVM opportunity cost). */
export interface ScoreWeights {
  readonly cores: number;
  readonly mem: number;
  readonly gpus: number;
  readonly gpuMem: number;
  readonly gpuCountReservation: number;
  readonly gpuMemReservation: number;
}

export interface PlanOptions {
  /** Seed of the PRNG (lottery order, ties). Same snapshot + options + now + seed = same plan. */
  readonly seed: number;
  /** "first-fit" = the Rust scheduler's saturation strategy; "scored" = E-PVM. */
  readonly placement: Placement;
  /** first-fit: fewest idle cores first (best fit) when true, most idle first when false. */
  readonly coreSaturation: boolean;
  /** first-fit: least idle memory first when true, most idle first when false. */
  readonly memorySaturation: boolean;
  /** scored: hosts scored per frame. */
  readonly maxCandidates: number;
  readonly weights: ScoreWeights;
  readonly jobOrder: JobOrder;
  /** Serve the show furthest below its subscription entitlement first (Cuebot's tiers). */
  readonly fairShare: boolean;
  /** Priority points a job gains per hour since submission (anti-starvation). */
  readonly agingPerHour: number;
  /** Reserve hosts for frames too large to fit now (EASY backfill). */
  readonly reservations: boolean;
  /** At most this many reservations per plan step. */
  readonly maxReservations: number;
  /** queue.core_multiplier: centicores per core. Cores are booked in whole cores. */
  readonly coreMultiplier: number;
  /** queue.dispatch_frames_per_layer_limit: frames booked per layer per plan step. */
  readonly dispatchFramesPerLayerLimit: number;
  /** queue.host_candidate_attempts_per_layer: distinct hosts one layer is placed on per plan step. */
  readonly hostCandidateAttemptsPerLayer: number;
  /** queue.mem_reserved_min: the least memory a frame books. */
  readonly memReservedMinKb: number;
  /** queue.memory_stranded_threshold: when less memory than this would stay idle, the frame gets all idle cores. */
  readonly memoryStrandedThresholdKb: number;
  /** queue.selfish_services: frames of these services take all idle cores. */
  readonly selfishServices: readonly string[];
  /** host_cache.memory_key_divisor: memory bucket size of the host index. */
  readonly memoryBucketKb: number;
  /** scheduler.ignore_tags: tags that never match. */
  readonly ignoreTags: readonly string[];
  /** Stop after this many bookings (0 = no limit). */
  readonly maxBookings: number;
  /** Only match within these clusters (a per-cluster pass like the Rust scheduler); absent = the whole snapshot. */
  readonly clusters?: readonly Cluster[];
}

export const defaultScoreWeights: ScoreWeights = { cores: 1, mem: 1, gpus: 2, gpuMem: 1, gpuCountReservation: 2, gpuMemReservation: 2 };

export const defaultPlanOptions: PlanOptions = {
  seed: 1,
  placement: "first-fit",
  coreSaturation: true,
  memorySaturation: false,
  maxCandidates: 500,
  weights: defaultScoreWeights,
  jobOrder: "priority",
  fairShare: true,
  agingPerHour: 1,
  reservations: true,
  maxReservations: 16,
  coreMultiplier: 100,
  dispatchFramesPerLayerLimit: 20,
  hostCandidateAttemptsPerLayer: 10,
  memReservedMinKb: 256_000,
  memoryStrandedThresholdKb: 2 * 1024 * 1024,
  selfishServices: [],
  memoryBucketKb: 2 * 1024 * 1024,
  ignoreTags: [],
  maxBookings: 0,
};

/** Defaults filled in and every value checked; throws SchedulerCoreError("invalid-options"). */
export function resolvePlanOptions(options: Partial<PlanOptions> = {}): PlanOptions {
  const o: PlanOptions = { ...defaultPlanOptions, ...options, weights: { ...defaultScoreWeights, ...options.weights } };
  const bad = (field: string, why: string): never => {
    throw new SchedulerCoreError("invalid-options", `plan option ${field} ${why}`, { entity: "options", field });
  };
  if (!Number.isInteger(o.seed)) bad("seed", "must be an integer");
  if (o.placement !== "first-fit" && o.placement !== "scored") bad("placement", `must be "first-fit" or "scored"`);
  if (o.jobOrder !== "priority" && o.jobOrder !== "lottery") bad("jobOrder", `must be "priority" or "lottery"`);
  const positiveInt = (field: keyof PlanOptions, allowInfinity: boolean) => {
    const v = o[field] as number;
    if (!((Number.isInteger(v) && v >= 1) || (allowInfinity && v === Infinity))) bad(field, "must be a positive integer");
  };
  positiveInt("coreMultiplier", false);
  positiveInt("maxCandidates", false);
  positiveInt("dispatchFramesPerLayerLimit", true);
  positiveInt("hostCandidateAttemptsPerLayer", true);
  positiveInt("memoryBucketKb", false);
  for (const field of ["agingPerHour", "memReservedMinKb", "memoryStrandedThresholdKb", "maxReservations", "maxBookings"] as const) {
    if (!(Number.isFinite(o[field]) && o[field] >= 0)) bad(field, "must be a finite number >= 0");
  }
  for (const [k, v] of Object.entries(o.weights)) if (!(Number.isFinite(v) && v >= 0)) bad(`weights.${k}`, "must be a finite number >= 0");
  return o;
}

/** The subset of cue-scheduler's YAML (snake_case keys, sizes in bytes) that drives matching. */
export interface SchedulerConfigLike {
  readonly queue: {
    readonly core_multiplier: number;
    readonly dispatch_frames_per_layer_limit: number;
    readonly host_candidate_attempts_per_layer: number;
    readonly mem_reserved_min: number;
    readonly memory_stranded_threshold: number;
    readonly selfish_services: readonly string[];
    readonly host_booking_strategy: {
      readonly type: string;
      readonly core_saturation?: boolean;
      readonly memory_saturation?: boolean;
      readonly max_candidates?: number | null;
      readonly weights?: { readonly cores: number; readonly mem: number; readonly gpus: number; readonly gpu_mem: number; readonly gpu_count_reservation: number; readonly gpu_mem_reservation: number };
    };
    readonly reservations?: boolean;
    readonly aging_per_hour?: number;
  };
  readonly host_cache?: { readonly memory_key_divisor: number };
  readonly scheduler?: { readonly ignore_tags: readonly string[] };
}

/** Plan options from a loaded scheduler.yaml (bytes become KB by / 1024, like the rest of opencue-ts). */
export function planOptionsFromConfig(config: SchedulerConfigLike, extra: Partial<PlanOptions> = {}): PlanOptions {
  const q = config.queue;
  const s = q.host_booking_strategy;
  const w = s.weights;
  const kb = (bytes: number) => Math.floor(bytes / 1024);
  // An unknown strategy must not silently fall back to first fit.
  if (s.type !== "saturation" && s.type !== "epvm") {
    throw new SchedulerCoreError("invalid-options", `queue.host_booking_strategy.type must be "saturation" or "epvm" (got ${String(s.type)})`, { entity: "options", field: "queue.host_booking_strategy.type" });
  }
  return resolvePlanOptions({
    placement: s.type === "epvm" ? "scored" : "first-fit",
    ...(s.core_saturation !== undefined ? { coreSaturation: s.core_saturation } : {}),
    ...(s.memory_saturation !== undefined ? { memorySaturation: s.memory_saturation } : {}),
    ...(s.max_candidates ? { maxCandidates: s.max_candidates } : {}),
    ...(w ? { weights: { cores: w.cores, mem: w.mem, gpus: w.gpus, gpuMem: w.gpu_mem, gpuCountReservation: w.gpu_count_reservation, gpuMemReservation: w.gpu_mem_reservation } } : {}),
    ...(q.reservations !== undefined ? { reservations: q.reservations } : {}),
    ...(q.aging_per_hour !== undefined ? { agingPerHour: q.aging_per_hour } : {}),
    coreMultiplier: q.core_multiplier,
    dispatchFramesPerLayerLimit: q.dispatch_frames_per_layer_limit,
    hostCandidateAttemptsPerLayer: q.host_candidate_attempts_per_layer,
    memReservedMinKb: kb(q.mem_reserved_min),
    memoryStrandedThresholdKb: kb(q.memory_stranded_threshold),
    selfishServices: q.selfish_services,
    ...(config.host_cache ? { memoryBucketKb: Math.max(1, kb(config.host_cache.memory_key_divisor)) } : {}),
    ...(config.scheduler ? { ignoreTags: config.scheduler.ignore_tags } : {}),
    ...extra,
  });
}
