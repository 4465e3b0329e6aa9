// Runs the lost-proc sweep every interval. An explicit state machine: idle -> running <-> sleeping
// -> stopping -> stopped; a sweep in flight is awaited by stop(), and sweeps never overlap.
import type { LostProcSweep } from "./lost-procs.js";

export type SweepWorkerState = "idle" | "sleeping" | "sweeping" | "stopping" | "stopped";

export interface SweepWorker {
  readonly state: SweepWorkerState;
  start(): void;
  /** Resolves once no sweep runs any more. */
  stop(): Promise<void>;
}

export function createSweepWorker(options: {
  readonly sweep: () => Promise<LostProcSweep>;
  readonly intervalMs: number;
  readonly onSweep?: (result: LostProcSweep) => void;
  readonly onError?: (error: unknown) => void;
}): SweepWorker {
  let state: SweepWorkerState = "idle";
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const schedule = (): void => {
    state = "sleeping";
    timer = setTimeout(tick, options.intervalMs);
    timer.unref();
  };
  const tick = (): void => {
    if (state !== "sleeping") return;
    state = "sweeping";
    inFlight = options
      .sweep()
      .then((r) => options.onSweep?.(r), (e: unknown) => options.onError?.(e))
      .finally(() => {
        inFlight = undefined;
        if (state === "sweeping") schedule();
      });
  };

  return {
    get state() {
      return state;
    },
    start() {
      if (state !== "idle") return;
      schedule();
    },
    async stop() {
      if (state === "stopped") return;
      state = "stopping";
      clearTimeout(timer);
      await inFlight;
      state = "stopped";
    },
  };
}
