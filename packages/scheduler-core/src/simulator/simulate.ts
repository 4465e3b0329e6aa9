// The simulator: replays a synthetic farm through plan() in simulated time.
import { SchedulerCoreError } from "../errors.js";
import type { PlanOptions } from "../options.js";
import type { FarmSpec } from "./farm-spec.js";

export interface SimulateOptions {
  /** Simulated time to run (ms). */
  readonly durationMs: number;
  /** Simulated time between plan steps (default 10 s). */
  readonly tickMs?: number;
  /** Time between samples of the time series (default: tickMs x 6). */
  readonly sampleEveryMs?: number;
  /** A frame waiting longer than this counts as starved (default 1 h). */
  readonly starvationThresholdMs?: number;
  readonly plan?: Partial<PlanOptions>;
  /** Wall clock in ms (e.g. performance.now) to measure decisions per second; absent = not measured. */
  readonly clock?: () => number;
  /** Stop early when every job has finished (default true). */
  readonly stopWhenDone?: boolean;
}

export interface SimSample {
  readonly timeMs: number;
  /** Booked cores / total cores of bookable hosts. */
  readonly utilisation: number;
  /** Per show: its booked cores / total cores. */
  readonly share: Readonly<Record<string, number>>;
  readonly runningFrames: number;
  readonly waitingFrames: number;
}

export interface SimShowReport {
  readonly name: string;
  /** Subscription size / total size of all shows. */
  readonly entitlement: number;
  /** Time-averaged share of the farm's cores while the show had work waiting or running. */
  readonly meanShare: number;
  readonly framesSubmitted: number;
  readonly framesStarted: number;
  readonly framesDone: number;
  readonly meanWaitMs: number;
  readonly p95WaitMs: number;
  readonly maxWaitMs: number;
  /** Frames that waited (or still wait) longer than the starvation threshold. */
  readonly starvedFrames: number;
}

export interface SimulationResult {
  readonly samples: readonly SimSample[];
  readonly shows: readonly SimShowReport[];
  readonly meanUtilisation: number;
  readonly endMs: number;
  readonly planSteps: number;
  readonly decisions: number;
  readonly reservations: number;
  readonly backfilled: number;
  /** Plan wall time (ms) and decisions per second; null without a clock. */
  readonly planWallMs: number | null;
  readonly decisionsPerSecond: number | null;
  readonly framesSubmitted: number;
  readonly framesDone: number;
}

export function simulate(spec: FarmSpec, options: SimulateOptions): SimulationResult {
  void spec;
  void options;
  throw new SchedulerCoreError("invalid-options", "simulate: not implemented yet");
}
