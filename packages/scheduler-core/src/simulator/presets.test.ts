import { SchedulerCoreError } from "../errors.js";
import { createFarmPreset, type FarmPresetName } from "./presets.js";
import { simulate } from "./simulate.js";

describe("farm presets", () => {
  it("busy: demand above capacity, shares near entitlement, reservations and backfill happen", () => {
    const r = simulate(createFarmPreset("busy", { hosts: 40 }), { durationMs: 6 * 3_600_000, tickMs: 30_000 });
    expect(r.meanUtilisation).toBeGreaterThan(0.9);
    expect(r.framesDone).toBeLessThan(r.framesSubmitted); // still a backlog after 6 h
    expect(r.reservations).toBeGreaterThan(0);
    expect(r.backfilled).toBeGreaterThan(0);
    expect(r.shows.map((s) => s.name)).toEqual(["feature", "episodic", "commercials", "sims"]);
    expect(r.shows.map((s) => s.entitlement)).toEqual([0.4, 0.3, 0.2, 0.1]);
    // Fair share: each show within 8 points of its entitlement (one sims frame is ~4 % of this farm).
    for (const s of r.shows) expect(Math.abs(s.meanShare - s.entitlement)).toBeLessThan(0.08);
  });

  it("scales job counts with the farm and keeps the same shape", () => {
    const small = createFarmPreset("busy", { hosts: 40 });
    const big = createFarmPreset("busy", { hosts: 400 });
    const cores = (s: typeof small) => s.hosts.reduce((n, g) => n + g.count * g.cores, 0);
    expect(cores(big)).toBe(10 * cores(small));
    expect(big.shows[0]!.jobs[0]!.count).toBe(10 * small.shows[0]!.jobs[0]!.count);
    expect(big.shows.map((s) => s.subscriptions[0]!.size)).toEqual(small.shows.map((s) => 10 * s.subscriptions[0]!.size));
    expect(createFarmPreset("light").shows.map((s) => s.name)).toEqual(["feature", "episodic", "sims"]);
  });

  it("rejects an unknown preset or host count", () => {
    expect(() => createFarmPreset("heavy" as FarmPresetName)).toThrow(SchedulerCoreError);
    expect(() => createFarmPreset("busy", { hosts: 2.5 })).toThrow(expect.objectContaining({ code: "invalid-options", field: "hosts" }));
  });
});
