import fc from "fast-check";
import { defaultScoreWeights } from "./options.js";
import { computeMaxMore, placementScore, type ScoreInput } from "./placement-score.js";

const GiB = 1024 * 1024;
const w1 = { cores: 1, mem: 1, gpus: 1, gpuMem: 1, gpuCountReservation: 1, gpuMemReservation: 1 };
const frame = { cores: 4, memoryKb: 4 * GiB, gpus: 0, gpuMemoryKb: 0 };

describe("E-PVM placement score", () => {
  it("a host that fits a whole number of frames strands nothing", () => {
    const i: ScoreInput = { ...frame, idleCores: 64, idleMemoryKb: 64 * GiB, idleGpus: 0, idleGpuMemoryKb: 0 };
    expect(computeMaxMore(i)).toBe(15);
    expect(placementScore(i, w1)).toBe(0);
  });
  it("a 4-core host with 64 GiB strands 15 frames' worth of memory", () => {
    expect(placementScore({ ...frame, idleCores: 4, idleMemoryKb: 64 * GiB, idleGpus: 0, idleGpuMemoryKb: 0 }, w1)).toBe(15);
  });
  it("penalises CPU work on GPU hosts: 8 GPUs and 80 GiB give 88 with weights 1/1", () => {
    expect(placementScore({ ...frame, idleCores: 64, idleMemoryKb: 64 * GiB, idleGpus: 8, idleGpuMemoryKb: 80 * GiB }, w1)).toBe(88);
  });
  it("the job cap bounds how many more frames count", () => {
    expect(computeMaxMore({ ...frame, idleCores: 64, idleMemoryKb: 64 * GiB, idleGpus: 0, idleGpuMemoryKb: 0, capHeadroom: 8 })).toBe(2);
  });
  it("properties: never negative when the floor is met; GPU penalty grows with idle GPUs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 256 }), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 0, max: 7 }), (c, extra, m, g) => {
        const i: ScoreInput = { cores: c, memoryKb: m * GiB, gpus: 0, gpuMemoryKb: 0, idleCores: c + extra, idleMemoryKb: (m + extra) * GiB, idleGpus: g, idleGpuMemoryKb: 0 };
        const s = placementScore(i, defaultScoreWeights);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(placementScore({ ...i, idleGpus: g + 1 }, defaultScoreWeights)).toBeGreaterThan(s);
      }),
    );
  });
});
