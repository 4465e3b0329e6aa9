import { coresForFrame, requestedCores, type CoreSizingInput } from "./core-sizing.js";

const GiB = 1024 * 1024;
const base: CoreSizingInput = {
  minCores: 1,
  threadable: true,
  maxCores: 0,
  selfish: false,
  minMemoryKb: 4 * GiB,
  threadMode: "AUTO",
  idleCores: 8,
  totalCores: 8,
  idleMemoryKb: 16 * GiB,
  totalMemoryKb: 16 * GiB,
  memoryStrandedThresholdKb: 100 * 1024,
  budget: Infinity,
};

describe("coresForFrame (the reference's sizing examples)", () => {
  it("memory-balances: 8 cores / 16 GiB host, 4 GiB frame asking 1 core gets 2", () => {
    expect(coresForFrame(base)).toBe(2);
  });
  it("4 cores / 8 GiB, 6 GiB frame gets 3", () => {
    expect(coresForFrame({ ...base, idleCores: 4, totalCores: 4, idleMemoryKb: 8 * GiB, totalMemoryKb: 8 * GiB, minMemoryKb: 6 * GiB })).toBe(3);
  });
  it("8 cores / 32 GiB, 2 GiB frame asking 4 gets 4; with a layer max of 2 gets 2", () => {
    const i = { ...base, minCores: 4, idleMemoryKb: 32 * GiB, totalMemoryKb: 32 * GiB, minMemoryKb: 2 * GiB };
    expect(coresForFrame(i)).toBe(4);
    expect(coresForFrame({ ...i, maxCores: 2 })).toBe(2);
  });
  it("ALL thread mode takes every idle core, within the job's remaining budget", () => {
    expect(coresForFrame({ ...base, threadMode: "ALL", idleCores: 6 })).toBe(6);
    expect(coresForFrame({ ...base, threadMode: "ALL", idleCores: 32, totalCores: 32, budget: 16 })).toBe(16);
  });
  it("VARIABLE mode books 2 for a small request and refuses a single idle core", () => {
    expect(coresForFrame({ ...base, threadMode: "VARIABLE" })).toBe(2);
    expect(coresForFrame({ ...base, threadMode: "VARIABLE", idleCores: 1 })).toBe(0);
  });
  it("non-threadable frames get exactly one core whatever they ask", () => {
    expect(coresForFrame({ ...base, threadable: false, minCores: 6 })).toBe(1);
  });
  it("0 means the whole host and negative means all but N", () => {
    expect(requestedCores(0, true, 16)).toBe(16);
    expect(requestedCores(-2, true, 16)).toBe(14);
    expect(coresForFrame({ ...base, minCores: 0, minMemoryKb: 1 * GiB })).toBe(8);
    expect(coresForFrame({ ...base, minCores: 0, idleCores: 7 })).toBe(0);
    expect(coresForFrame({ ...base, minCores: -2, minMemoryKb: 1 * GiB })).toBe(6);
  });
  it("takes every idle core when too little memory would be left, or for a selfish service", () => {
    expect(coresForFrame({ ...base, memoryStrandedThresholdKb: 12 * GiB })).toBe(8);
    expect(coresForFrame({ ...base, selfish: true })).toBe(8);
  });
  it("refuses when the request exceeds idle cores or the caps' budget", () => {
    expect(coresForFrame({ ...base, minCores: 9 })).toBe(0);
    expect(coresForFrame({ ...base, minCores: 4, budget: 3 })).toBe(0);
    expect(coresForFrame({ ...base, budget: 1 })).toBe(1);
  });
});

// The same §2.5 table as cue-scheduler ran against its own sizing before it booked through plan():
// a 2 GiB stranded-memory threshold, the job's remaining cores as the budget.
describe("coresForFrame (cue-scheduler's §2.5 table, 2 GiB stranded threshold)", () => {
  const svc: CoreSizingInput = { ...base, memoryStrandedThresholdKb: 2 * GiB };
  it.each<[string, Partial<CoreSizingInput>, number]>([
    ["8c/16GiB, 4 GiB frame, request 1 -> memory-balanced 2", {}, 2],
    ["4c/8GiB, 6 GiB -> 3 (1 GiB threshold)", { idleCores: 4, totalCores: 4, idleMemoryKb: 8 * GiB, totalMemoryKb: 8 * GiB, minMemoryKb: 6 * GiB, memoryStrandedThresholdKb: 1 * GiB }, 3],
    ["8c/32GiB, 2 GiB, request 4 -> 4", { idleMemoryKb: 32 * GiB, totalMemoryKb: 32 * GiB, minMemoryKb: 2 * GiB, minCores: 4 }, 4],
    ["same with a 2-core limit -> 2", { idleMemoryKb: 32 * GiB, totalMemoryKb: 32 * GiB, minMemoryKb: 2 * GiB, minCores: 4, maxCores: 2 }, 2],
    ["ALL mode, 6 idle -> 6", { threadMode: "ALL", idleCores: 6 }, 6],
    ["ALL with 32 idle and 16 left in the job -> 16", { threadMode: "ALL", idleCores: 32, totalCores: 32, budget: 16 }, 16],
    ["VARIABLE, request 1 -> 2", { threadMode: "VARIABLE" }, 2],
    ["non-threadable -> 1", { threadable: false, minCores: 4 }, 1],
    ["5 GiB idle for a 4 GiB frame strands memory -> all idle cores", { idleMemoryKb: 5 * GiB }, 8],
    ["selfish -> all idle cores", { selfish: true }, 8],
    ["job with 2 cores left, request 4 -> 0", { minCores: 4, budget: 2, idleMemoryKb: 32 * GiB, totalMemoryKb: 32 * GiB }, 0],
  ])("%s", (_name, over, cores) => {
    expect(coresForFrame({ ...svc, ...over })).toBe(cores);
  });
});
