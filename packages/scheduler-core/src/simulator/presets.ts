// Ready-made synthetic farms for the simulator, sized by host count (numbers are per 200 hosts and
// scale linearly). "light" is an easy farm that is mostly idle; "busy" keeps demand above capacity
// for hours so fair share, reservations and EASY backfill all have work to do.
import { SchedulerCoreError } from "../errors.js";
import type { FarmSpec, SimLayer } from "./farm-spec.js";

export type FarmPresetName = "light" | "busy";
export const farmPresetNames: readonly FarmPresetName[] = ["light", "busy"];

export interface FarmPresetOptions {
  /** Hosts in the farm (default 200): 3/4 have 16 cores and 64 GB, 1/4 32 cores and 128 GB. */
  readonly hosts?: number;
  readonly seed?: number;
}

const minutes = 60_000;
const hours = 3_600_000;

/** A synthetic farm by name; throws SchedulerCoreError("invalid-options") for an unknown name or host count. */
export function createFarmPreset(name: FarmPresetName, options: FarmPresetOptions = {}): FarmSpec {
  const hosts = options.hosts ?? 200;
  if (!Number.isInteger(hosts) || hosts < 4) throw new SchedulerCoreError("invalid-options", "farm preset: hosts must be an integer >= 4", { entity: "options", field: "hosts" });
  const small = Math.round(hosts * 0.75);
  const big = hosts - small;
  const cores = small * 16 + big * 32;
  // Job counts scale with the farm and arrivals spread over the same span, so the load (demand /
  // capacity) and its timing do not depend on the farm's size.
  const arrivals = (count: number, meanInterArrivalMs: number) => {
    const n = Math.max(1, Math.round((count * hosts) / 200));
    return { count: n, meanInterArrivalMs: (meanInterArrivalMs * count) / n };
  };
  const seed = options.seed ?? 7;
  const layer = (frames: number, c: number, memoryGb: number, runtime: SimLayer["runtime"], tags: readonly string[] = ["general"]): SimLayer => ({ frames, cores: c, memoryGb, tags, runtime, threadable: c > 1 });

  if (name === "light") {
    return {
      seed,
      allocs: [{ name: "general" }],
      hosts: [
        { count: small, cores: 16, memoryGb: 64, alloc: "general" },
        { count: big, cores: 32, memoryGb: 128, alloc: "general" },
      ],
      shows: [
        { name: "feature", subscriptions: [{ alloc: "general", size: hosts * 10, burst: hosts * 20 }], jobs: [{ count: 40, meanInterArrivalMs: 10 * minutes, priority: 10, layers: [layer(100, 2, 4, { kind: "lognormal", medianMs: 20 * minutes, sigma: 0.6 })] }] },
        { name: "episodic", subscriptions: [{ alloc: "general", size: hosts * 6, burst: hosts * 20 }], jobs: [{ count: 60, meanInterArrivalMs: 400_000, priority: 5, layers: [layer(80, 1, 2, { kind: "uniform", minMs: 5 * minutes, maxMs: 25 * minutes })] }] },
        { name: "sims", subscriptions: [{ alloc: "general", size: hosts * 4, burst: hosts * 20 }], jobs: [{ count: 10, meanInterArrivalMs: 30 * minutes, priority: 1, layers: [layer(4, 32, 96, { kind: "fixed", ms: hours })] }] },
      ],
    };
  }
  if (name === "busy") {
    // Subscription sizes add up to the farm's cores (40 / 30 / 20 / 10 %), so entitlement is a
    // share of the farm. Over the first ~8 h each show submits about 1.3x its entitlement; bursts
    // let any show take the whole farm when the others are quiet. The sims layer wants whole big
    // hosts (32 cores, tag "big") that the other shows' frames keep partly busy: it must reserve
    // them, and the short comp frames backfill the hosts while a reservation waits.
    const size = (f: number) => Math.round(cores * f);
    return {
      seed,
      allocs: [{ name: "general" }],
      hosts: [
        { count: small, cores: 16, memoryGb: 64, alloc: "general" },
        { count: big, cores: 32, memoryGb: 128, alloc: "general", tags: ["big"] },
      ],
      shows: [
        {
          name: "feature",
          subscriptions: [{ alloc: "general", size: size(0.4), burst: cores }],
          jobs: [{ ...arrivals(40, 12 * minutes), priority: 50, layers: [layer(280, 2, 6, { kind: "lognormal", medianMs: 40 * minutes, sigma: 0.5 })] }],
        },
        {
          name: "episodic",
          subscriptions: [{ alloc: "general", size: size(0.3), burst: cores }],
          jobs: [{ ...arrivals(60, 8 * minutes), priority: 20, layers: [layer(80, 4, 12, { kind: "uniform", minMs: 20 * minutes, maxMs: 60 * minutes })] }],
        },
        {
          name: "commercials",
          subscriptions: [{ alloc: "general", size: size(0.2), burst: cores }],
          jobs: [{ ...arrivals(38, 12.6 * minutes), priority: 30, layers: [layer(150, 4, 12, { kind: "lognormal", medianMs: 20 * minutes, sigma: 0.4 }), layer(60, 1, 2, { kind: "uniform", minMs: 2 * minutes, maxMs: 8 * minutes })] }],
        },
        {
          name: "sims",
          subscriptions: [{ alloc: "general", size: size(0.1), burst: cores }],
          jobs: [{ ...arrivals(13, 35 * minutes), priority: 10, layers: [layer(10, 32, 100, { kind: "fixed", ms: hours }, ["big"])] }],
        },
      ],
    };
  }
  throw new SchedulerCoreError("invalid-options", `farm preset: unknown name ${String(name)} (one of ${farmPresetNames.join(", ")})`, { entity: "options", field: "preset" });
}
