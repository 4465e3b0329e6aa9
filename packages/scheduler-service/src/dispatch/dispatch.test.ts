// Pure dispatch pieces against the reference's unit-test examples: core sizing, chunk specs, frame
// numbers, and the pass planner's greedy placement.
import { chooseCores, type SizingInput } from "./core-sizing.js";
import { compactFrameSpec, frameChunk, frameNumber } from "./run-frame.js";
import { planPass } from "./pass-planner.js";
import type { DispatchHost } from "../db/hosts.js";
import type { DispatchLayer } from "../db/layers.js";

const GiB = 1024 * 1024; // KB
const base: SizingInput = { minCores: 1, threadable: true, coresLimit: 0, selfish: false, minMemoryKb: 4 * GiB, threadMode: 0, idleCores: 8, totalCores: 8, idleMemoryKb: 16 * GiB, totalMemoryKb: 16 * GiB, strandedThresholdKb: 2 * GiB, jobRemaining: null };

describe("core sizing (reference §2.5 examples)", () => {
  test.each<[string, Partial<SizingInput>, number]>([
    ["8c/16GiB, 4 GiB frame, request 1 -> memory-balanced 2", {}, 2],
    ["4c/8GiB, 6 GiB -> 3", { idleCores: 4, totalCores: 4, idleMemoryKb: 8 * GiB, totalMemoryKb: 8 * GiB, minMemoryKb: 6 * GiB, strandedThresholdKb: 1 * GiB }, 3],
    ["8c/32GiB, 2 GiB, request 4 -> 4", { idleMemoryKb: 32 * GiB, totalMemoryKb: 32 * GiB, minMemoryKb: 2 * GiB, minCores: 4 }, 4],
    ["same with a 2-core limit -> 2", { idleMemoryKb: 32 * GiB, totalMemoryKb: 32 * GiB, minMemoryKb: 2 * GiB, minCores: 4, coresLimit: 2 }, 2],
    ["ALL mode, 6 idle -> 6", { threadMode: 1, idleCores: 6 }, 6],
    ["ALL with 32 idle and job remaining 16 -> 16", { threadMode: 1, idleCores: 32, totalCores: 32, jobRemaining: 16 }, 16],
    ["VARIABLE, request 1 -> 2", { threadMode: 2 }, 2],
    ["non-threadable -> 1", { threadable: false, minCores: 4 }, 1],
    ["stranded memory -> all idle cores", { idleMemoryKb: 5 * GiB }, 8],
    ["selfish -> all idle cores", { selfish: true }, 8],
    ["job at cap -> 0", { minCores: 4, jobRemaining: 2, idleMemoryKb: 32 * GiB, totalMemoryKb: 32 * GiB }, 0],
  ])("%s", (_name, over, cores) => {
    expect(chooseCores({ ...base, ...over })).toBe(cores);
  });
});

describe("frame specs", () => {
  test("compact chunk specs", () => {
    expect(compactFrameSpec([1, 2, 3, 5, 6, 7])).toBe("1-3,5-7");
    expect(compactFrameSpec([1, 3, 5, 10, 11, 12])).toBe("1-5x2,10-12");
    expect(compactFrameSpec([1, 4])).toBe("1,4");
    expect(compactFrameSpec([7])).toBe("7");
  });
  test("chunks of a layer range", () => {
    expect(frameChunk({ range: "1-10", chunkSize: 4 }, "0005-render")).toEqual({ number: 5, end: 8, spec: "5-8" });
    expect(frameChunk({ range: "1-10", chunkSize: 4 }, "0009-render")).toEqual({ number: 9, end: 10, spec: "9-10" });
    expect(frameChunk({ range: "1-3", chunkSize: 1 }, "0002-l")).toEqual({ number: 2, end: 2, spec: "2" });
  });
  test("bad frames are typed errors", () => {
    expect(() => frameNumber("render")).toThrow(expect.objectContaining({ code: "BAD_FRAME" }));
    expect(() => frameChunk({ range: "1-3", chunkSize: 1 }, "0009-l")).toThrow(/not in the layer's range/);
  });
});

function host(id: string, cores: number, memGiB: number, tags: string[] = ["general"]): DispatchHost {
  return { id, name: id, os: "linux", allocId: "a", allocName: "a", threadMode: 0, totalCoreUnits: cores * 100, totalMemoryKb: memGiB * GiB, tags, idleCoreUnits: cores * 100, idleMemoryKb: memGiB * GiB, idleGpus: 0, idleGpuMemoryKb: 0 };
}
function layer(frames: number, over: Partial<DispatchLayer> = {}): DispatchLayer {
  return {
    id: "L", name: "render", jobId: "J", jobName: "job", showId: "S", showName: "show", facilityId: "F", folderId: "FO", deptId: "D", os: null,
    command: "x", range: `1-${frames}`, chunkSize: 1, minCoreUnits: 100, maxCoreUnits: 0, minMemoryKb: 1 * GiB, minGpus: 0, minGpuMemoryKb: 0,
    threadable: false, tags: ["general"], services: [], jobMaxCoreUnits: 0, shot: "s", user: "u", uid: null, logDir: "/tmp", lokiUrl: null, env: {},
    frames: Array.from({ length: frames }, (_, i) => ({ id: `f${i}`, name: `${String(i + 1).padStart(4, "0")}-render`, version: 0, updatedAt: null })),
    ...over,
  };
}
const opts = { strategy: { type: "saturation" as const, coreSaturation: true, memorySaturation: false, memoryKeyDivisorKb: 2 * GiB }, coreMultiplier: 100, strandedThresholdKb: 2 * GiB, memReservedMinKb: 256000, selfishServices: [], hostAttemptsPerLayer: 10, excludedHosts: new Set<string>() };

describe("pass planner", () => {
  test("best fit on cores: the smaller host fills first, never over its capacity", () => {
    const p = planPass([{ id: "J", coresInUse: 0, layers: [layer(6)] }], [host("big", 16, 64), host("small", 4, 64)], opts);
    expect(p.decisions.map((d) => d.host.id)).toEqual(["small", "small", "small", "small", "big", "big"]);
  });
  test("memory bounds frames per host; the layer's tag and OS must match", () => {
    const p = planPass([{ id: "J", coresInUse: 0, layers: [layer(10, { minMemoryKb: 3 * GiB })] }], [host("h", 16, 8), host("other", 16, 64, ["gpu"])], opts);
    expect(p.decisions).toHaveLength(2);
    expect(planPass([{ id: "J", coresInUse: 0, layers: [layer(2, { os: "windows" })] }], [host("h", 16, 8)], opts).decisions).toHaveLength(0);
  });
  test("the job cap stops booking across layers", () => {
    const p = planPass([{ id: "J", coresInUse: 100, layers: [layer(5, { jobMaxCoreUnits: 300 }), layer(5, { id: "L2", jobMaxCoreUnits: 300 })] }], [host("h", 16, 64)], opts);
    expect(p.decisions).toHaveLength(2);
  });
  test("backed-off hosts are not used", () => {
    expect(planPass([{ id: "J", coresInUse: 0, layers: [layer(2)] }], [host("h", 16, 64)], { ...opts, excludedHosts: new Set(["h"]) }).decisions).toHaveLength(0);
  });
});
