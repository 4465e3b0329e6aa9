import { SchedulerCoreError } from "./errors.js";
import { createHostIndex } from "./host-index.js";
import type { Host } from "./snapshot.js";

const GiB = 1024 * 1024;
const host = (id: string, cores: number, memGiB: number, extra: Partial<Host> = {}): Host => ({
  id,
  name: id,
  allocId: "a1",
  facilityId: "fac",
  os: "linux",
  tags: ["general"],
  totalCores: cores * 100,
  idleCores: cores * 100,
  totalMemoryKb: memGiB * GiB,
  idleMemoryKb: memGiB * GiB,
  totalGpus: 0,
  idleGpus: 0,
  totalGpuMemoryKb: 0,
  idleGpuMemoryKb: 0,
  threadMode: "AUTO",
  lockState: "OPEN",
  state: "UP",
  ...extra,
});
const ids = (hs: { host: Host }[]) => hs.map((h) => h.host.id);

describe("host index", () => {
  it("finds hosts with enough idle cores and memory, fewest idle cores first", () => {
    const idx = createHostIndex();
    idx.upsert(host("big", 64, 256), 1);
    idx.upsert(host("small", 4, 8), 1);
    idx.upsert(host("mid", 16, 32), 1);
    expect(ids(idx.find({ tags: ["general"], minCores: 800, minMemoryKb: 16 * GiB }, 10))).toEqual(["mid", "big"]);
    expect(ids(idx.find({ tags: ["general"], minCores: 800, coreSaturation: false }, 10))).toEqual(["big", "mid"]);
    expect(idx.find({ tags: ["other"] })).toEqual([]);
  });
  it("memory order inside a core bucket: most idle first by default, least with memorySaturation", () => {
    const idx = createHostIndex();
    idx.upsert(host("m8", 8, 8), 1);
    idx.upsert(host("m64", 8, 64), 1);
    expect(ids(idx.find({ tags: ["general"] }, 2))).toEqual(["m64", "m8"]);
    expect(ids(idx.find({ tags: ["general"], memorySaturation: true }, 2))).toEqual(["m8", "m64"]);
  });
  it("filters allocation, OS, thread mode, GPUs and lock state", () => {
    const idx = createHostIndex();
    idx.upsert(host("a", 8, 8), 1);
    idx.upsert(host("b", 8, 8, { allocId: "a2" }), 1);
    idx.upsert(host("win", 8, 8, { os: "windows" }), 1);
    idx.upsert(host("all", 8, 8, { threadMode: "ALL" }), 1);
    idx.upsert(host("gpu", 8, 8, { totalGpus: 2, idleGpus: 2 }), 1);
    idx.upsert(host("locked", 8, 8, { lockState: "LOCKED" }), 1);
    idx.upsert(host("down", 8, 8, { state: "DOWN" }), 1);
    const all = (q: Parameters<typeof idx.find>[0]) => ids(idx.find(q, 100)).sort();
    expect(all({ tags: ["general"] })).toEqual(["a", "all", "b", "gpu", "win"]);
    expect(all({ tags: ["general"], allocIds: ["a2"] })).toEqual(["b"]);
    expect(all({ tags: ["general"], os: "windows" })).toEqual(["win"]);
    expect(all({ tags: ["general"], threadable: false })).toEqual(["a", "b", "gpu", "win"]);
    expect(all({ tags: ["general"], minGpus: 1 })).toEqual(["gpu"]);
    expect(idx.size).toBe(7);
  });
  it("a host with several matching tags is visited once", () => {
    const idx = createHostIndex();
    idx.upsert(host("h", 8, 8, { tags: ["a", "b"] }), 1);
    expect(ids(idx.find({ tags: ["a", "b"] }, 10))).toEqual(["h"]);
  });
  it("upsert: a newer version replaces and re-buckets, an older one is ignored (no ghosts)", () => {
    const idx = createHostIndex();
    idx.upsert(host("h", 8, 8), 5);
    expect(idx.upsert({ ...host("h", 8, 8), idleCores: 0 }, 4)).toBe(false);
    expect(idx.find({ tags: ["general"], minCores: 800 })).toHaveLength(1);
    expect(idx.upsert({ ...host("h", 8, 8), idleCores: 200, tags: ["other"] }, 6)).toBe(true);
    expect(idx.find({ tags: ["general"] })).toHaveLength(0);
    expect(idx.find({ tags: ["other"], minCores: 300 })).toHaveLength(0);
    expect(ids(idx.find({ tags: ["other"], minCores: 200 }))).toEqual(["h"]);
    expect(idx.remove("h")).toBe(true);
    expect(idx.find({ tags: ["other"] })).toHaveLength(0);
  });
  it("checkout hides the host until check-in, which re-indexes it at its new idle values", () => {
    const idx = createHostIndex();
    idx.upsert(host("h", 8, 8), 1);
    const out = idx.checkout({ tags: ["general"], minCores: 400 })!;
    expect(out.host.id).toBe("h");
    expect(idx.checkedOutCount).toBe(1);
    expect(idx.find({ tags: ["general"] })).toHaveLength(0);
    expect(idx.checkout({ tags: ["general"] })).toBeUndefined();
    // A refresh while checked out updates the record but keeps it out.
    expect(idx.upsert({ ...host("h", 8, 8), idleCores: 600 }, 2)).toBe(true);
    expect(idx.find({ tags: ["general"] })).toHaveLength(0);
    expect(() => idx.checkin("h", { ...host("h", 8, 8), idleCores: 400 }, 1)).toThrow(expect.objectContaining({ code: "version-conflict" }));
    idx.checkin("h", { ...host("h", 8, 8), idleCores: 400 }, 3);
    expect(idx.get("h")).toMatchObject({ idleCores: 400, version: 3, checkedOut: false });
    expect(idx.find({ tags: ["general"], minCores: 500 })).toHaveLength(0);
    expect(idx.find({ tags: ["general"], minCores: 400 })).toHaveLength(1);
  });
  it("checkoutHost guards with the version; release returns the host unchanged", () => {
    const idx = createHostIndex();
    idx.upsert(host("h", 8, 8), 7);
    expect(() => idx.checkoutHost("h", 6)).toThrow(expect.objectContaining({ code: "version-conflict", field: "version" }));
    idx.checkoutHost("h", 7);
    expect(() => idx.checkoutHost("h")).toThrow(expect.objectContaining({ code: "version-conflict" }));
    idx.release("h");
    expect(() => idx.release("h")).toThrow(SchedulerCoreError);
    expect(idx.find({ tags: ["general"] })).toHaveLength(1);
    expect(() => idx.checkoutHost("nope")).toThrow(expect.objectContaining({ code: "unknown-host" }));
  });
  it("rejects inconsistent hosts with a typed error", () => {
    const idx = createHostIndex();
    expect(() => idx.upsert({ ...host("h", 8, 8), idleCores: -1 }, 1)).toThrow(expect.objectContaining({ code: "inconsistent-snapshot", id: "h", field: "idleCores" }));
    expect(() => idx.upsert({ ...host("h", 8, 8), idleGpus: 1 }, 1)).toThrow(expect.objectContaining({ field: "idleGpus" }));
  });
  it("shapes: the distinct host capabilities under some tags, locked hosts included", () => {
    const idx = createHostIndex();
    idx.upsert(host("a", 8, 8), 1);
    idx.upsert(host("b", 8, 8, { lockState: "LOCKED" }), 1);
    idx.upsert(host("c", 32, 64), 1);
    expect(idx.shapes(["general"]).map((s) => [s.totalCores, s.count]).sort()).toEqual([[3200, 1], [800, 2]]);
  });
  it("100,000 hosts: candidates come from the buckets, not a scan", () => {
    const idx = createHostIndex();
    for (let i = 0; i < 100_000; i++) idx.upsert(host(`h${i}`, 8 + (i % 8) * 8, 32 + (i % 4) * 32, { idleCores: (i % 9) * 100, tags: ["general", `rack${i % 50}`] }), 1);
    let visited = 0;
    idx.visit({ tags: ["rack7"], minCores: 800, minMemoryKb: 128 * GiB }, () => {
      visited++;
      return true;
    });
    expect(visited).toBe(1);
    expect(idx.find({ tags: ["rack7"], minCores: 800, minMemoryKb: 128 * GiB }, 1)[0]!.idleCores).toBeGreaterThanOrEqual(800);
  });
});
