import { formatSimulationTable, renderSimulationSvg } from "./report.js";
import { simulate } from "./simulate.js";
import type { FarmSpec } from "./farm-spec.js";

const spec: FarmSpec = {
  seed: 3,
  allocs: [{ name: "general" }],
  hosts: [{ count: 10, cores: 16, memoryGb: 64, alloc: "general" }],
  shows: [
    { name: "big", subscriptions: [{ alloc: "general", size: 120, burst: 160 }], jobs: [{ count: 6, meanInterArrivalMs: 300_000, layers: [{ frames: 60, cores: 1, memoryGb: 2, tags: ["general"], runtime: { kind: "uniform", minMs: 300_000, maxMs: 900_000 } }] }] },
    { name: "small", subscriptions: [{ alloc: "general", size: 40, burst: 160 }], jobs: [{ count: 6, meanInterArrivalMs: 300_000, layers: [{ frames: 60, cores: 1, memoryGb: 2, tags: ["general"], runtime: { kind: "lognormal", medianMs: 600_000, sigma: 0.5 } }] }] },
  ],
};

describe("simulate", () => {
  it("replays the farm in simulated time, deterministically, within the caps", () => {
    let t = 0;
    const r = simulate(spec, { durationMs: 24 * 3_600_000, tickMs: 30_000, clock: () => (t += 1) });
    expect(r.framesDone).toBe(720);
    expect(r.meanUtilisation).toBeGreaterThan(0.3);
    expect(r.samples.every((s) => s.utilisation <= 1)).toBe(true);
    expect(r.decisionsPerSecond).not.toBeNull();
    const again = simulate(spec, { durationMs: 24 * 3_600_000, tickMs: 30_000 });
    expect(again.shows).toEqual(r.shows);
    // While both shows have work, the bigger subscription gets the bigger share.
    expect(r.shows[0]!.meanShare).toBeGreaterThan(r.shows[1]!.meanShare);
    expect(formatSimulationTable(r)).toContain("| big");
    const svg = renderSimulationSvg(r);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("<polyline");
  });
  it("rejects unknown allocations with a typed error", () => {
    expect(() => simulate({ ...spec, hosts: [{ count: 1, cores: 1, memoryGb: 1, alloc: "nope" }] }, { durationMs: 1000 })).toThrow(expect.objectContaining({ code: "invalid-options" }));
  });
});
