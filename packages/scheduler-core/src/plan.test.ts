// Each rule of the plan step on a small hand-built farm.
import { SchedulerCoreError } from "./errors.js";
import { plan } from "./plan.js";
import type { FarmSnapshot } from "./snapshot.js";
import { bookedByHost, createFarm, GiB } from "./test-support/farm-builder.js";

const HOUR = 3_600_000;
const plain = { reservations: false, agingPerHour: 0, dispatchFramesPerLayerLimit: Infinity, hostCandidateAttemptsPerLayer: Infinity } as const;
const coresOfShow = (r: ReturnType<typeof plan>, showId: string) => r.bookings.filter((b) => b.showId === showId).reduce((s, b) => s + b.cores, 0) / 100;

function twoShows(opts: { sizeA: number; sizeB: number; burstA?: number; burstB?: number; bookedA?: number; hosts?: number }) {
  const f = createFarm();
  const a = f.alloc("general");
  const A = f.show("A");
  const B = f.show("B");
  f.subscribe(A, a, opts.sizeA, opts.burstA ?? 1000, opts.bookedA ?? 0);
  f.subscribe(B, a, opts.sizeB, opts.burstB ?? 1000);
  for (let i = 0; i < (opts.hosts ?? 10); i++) f.host(`h${i}`, a, 10, 40);
  const ja = f.job("a", A, { priority: 50 });
  f.layer(ja, "render", { cores: 1, memGiB: 1, frames: 200, threadable: false });
  const jb = f.job("b", B, { priority: 1 });
  f.layer(jb, "render", { cores: 1, memGiB: 1, frames: 200, threadable: false });
  return { f, A, B };
}

describe("fair share by subscription", () => {
  it("splits a full farm by subscription size, whatever the job priorities", () => {
    const { f, A, B } = twoShows({ sizeA: 75, sizeB: 25 });
    const r = plan(f.build(), plain);
    expect(coresOfShow(r, A.id)).toBe(75);
    expect(coresOfShow(r, B.id)).toBe(25);
  });
  it("counts what a show already runs: the show already at its share waits for the other", () => {
    const { f, A, B } = twoShows({ sizeA: 50, sizeB: 50, bookedA: 40, hosts: 6 });
    const r = plan(f.build(), plain);
    // 60 idle cores: B catches up to A's 40 first, then they alternate.
    expect(coresOfShow(r, B.id)).toBe(50);
    expect(coresOfShow(r, A.id)).toBe(10);
  });
  it("burst is a hard cap: a show never books past it, even on an idle farm", () => {
    const { f, A, B } = twoShows({ sizeA: 10, sizeB: 10, burstA: 30, burstB: 20 });
    const r = plan(f.build(), plain);
    expect(coresOfShow(r, A.id)).toBe(30);
    expect(coresOfShow(r, B.id)).toBe(20);
    expect(r.blocked).toContainEqual({ layerId: "job-a/render", jobId: "job-a", reason: "subscription-burst" });
  });
  it("a burst of 0 freezes the subscription", () => {
    const { f, A } = twoShows({ sizeA: 10, sizeB: 10, burstA: 0 });
    const r = plan(f.build(), plain);
    expect(coresOfShow(r, A.id)).toBe(0);
    expect(r.unplaceable).toContainEqual(expect.objectContaining({ layerId: "job-a/render", reason: "no-subscription" }));
  });
  it("with fair share off, priority alone decides", () => {
    const { f, A, B } = twoShows({ sizeA: 25, sizeB: 75 });
    const r = plan(f.build(), { ...plain, fairShare: false });
    expect(coresOfShow(r, A.id)).toBe(100);
    expect(coresOfShow(r, B.id)).toBe(0);
  });
});

function oneShowFarm(cores = 4) {
  const f = createFarm();
  const a = f.alloc("general");
  const show = f.show("S");
  f.subscribe(show, a, 1000, 1000);
  f.host("h", a, cores, 64);
  return { f, show, a };
}

describe("job order", () => {
  it("higher priority first", () => {
    const { f, show } = oneShowFarm(2);
    f.layer(f.job("low", show, { priority: 1, submittedAtMs: 0 }), "l", { frames: 5, threadable: false });
    f.layer(f.job("high", show, { priority: 9, submittedAtMs: 1 }), "l", { frames: 5, threadable: false });
    expect(plan(f.build(), plain).bookings.map((b) => b.jobId)).toEqual(["job-high", "job-high"]);
  });
  it("FIFO within equal priority", () => {
    const { f, show } = oneShowFarm(3);
    f.layer(f.job("second", show, { submittedAtMs: 2000 }), "l", { frames: 5, threadable: false });
    f.layer(f.job("first", show, { submittedAtMs: 1000 }), "l", { frames: 5, threadable: false });
    expect(plan(f.build(), plain).bookings.map((b) => b.jobId)).toEqual(["job-first", "job-first", "job-first"]);
  });
  it("aging: a job waiting long enough overtakes newer higher-priority work (anti-starvation)", () => {
    const { f, show } = oneShowFarm(1);
    const now = 100 * HOUR;
    f.layer(f.job("old", show, { priority: 1, submittedAtMs: now - 10 * HOUR }), "l", { frames: 1, threadable: false });
    f.layer(f.job("new", show, { priority: 5, submittedAtMs: now }), "l", { frames: 1, threadable: false });
    const s = f.build();
    expect(plan(s, { ...plain, agingPerHour: 1 }, now).bookings[0]!.jobId).toBe("job-old");
    expect(plan(s, { ...plain, agingPerHour: 0 }, now).bookings[0]!.jobId).toBe("job-new");
  });
  it("lottery: the same seed gives the same order; weight follows priority", () => {
    const { f, show } = oneShowFarm(1);
    f.layer(f.job("heavy", show, { priority: 9 }), "l", { frames: 1, threadable: false });
    f.layer(f.job("light", show, { priority: 1 }), "l", { frames: 1, threadable: false });
    const s = f.build();
    const winner = (seed: number) => plan(s, { ...plain, jobOrder: "lottery", seed }).bookings[0]!.jobId;
    expect(winner(42)).toBe(winner(42));
    let heavy = 0;
    for (let seed = 0; seed < 400; seed++) if (winner(seed) === "job-heavy") heavy++;
    // P(heavy first) = 9 / 10; 400 draws put it far from 50 %.
    expect(heavy).toBeGreaterThan(320);
    expect(heavy).toBeLessThan(400);
  });
  it("layers in dispatch order, frames in frame order", () => {
    const { f, show } = oneShowFarm(8);
    const j = f.job("j", show);
    f.layer(j, "first", { frames: 2, threadable: false });
    f.layer(j, "second", { frames: 2, threadable: false });
    expect(plan(f.build(), plain).bookings.map((b) => b.frameId)).toEqual(["job-j/first/1", "job-j/first/2", "job-j/second/1", "job-j/second/2"]);
  });
});

describe("exact caps", () => {
  it("job max cores, counting what already runs", () => {
    const { f, show } = oneShowFarm(32);
    f.layer(f.job("j", show, { maxCores: 1000, bookedCores: 400 }), "l", { cores: 2, frames: 10 });
    const r = plan(f.build(), plain);
    expect(r.bookings.reduce((s, b) => s + b.cores, 0)).toBe(600);
    expect(r.blocked).toContainEqual({ layerId: "job-j/l", jobId: "job-j", reason: "job-max-cores" });
  });
  it("folder max cores across the folder's jobs", () => {
    const { f, show } = oneShowFarm(32);
    const folder = f.folder(show, { maxCores: 500 });
    f.layer(f.job("j1", show, { folder }), "l", { frames: 10, threadable: false });
    f.layer(f.job("j2", show, { folder }), "l", { frames: 10, threadable: false });
    const r = plan(f.build(), plain);
    expect(r.bookings.reduce((s, b) => s + b.cores, 0)).toBe(500);
  });
  it("a threadable frame is clamped to the cap's remaining room but never below its request", () => {
    const { f, show } = oneShowFarm(16);
    f.layer(f.job("j", show, { maxCores: 700 }), "l", { cores: 4, memGiB: 1, frames: 3 });
    const r = plan(f.build(), { ...plain, memoryStrandedThresholdKb: 128 * GiB });
    // Every frame would take all idle cores; the job cap leaves 7 then 3 (< 4: no second frame).
    expect(r.bookings.map((b) => b.cores)).toEqual([700]);
  });
  it("job and folder GPU caps", () => {
    const f = createFarm();
    const a = f.alloc("general");
    const show = f.show("S");
    f.subscribe(show, a, 100, 100);
    f.host("gpu", a, 32, 64, { totalGpus: 8, idleGpus: 8, totalGpuMemoryKb: 64 * GiB, idleGpuMemoryKb: 64 * GiB });
    const folder = f.folder(show, { maxGpus: 3 });
    f.layer(f.job("j1", show, { folder, maxGpus: 2 }), "l", { frames: 5, minGpus: 1, threadable: false });
    f.layer(f.job("j2", show, { folder }), "l", { frames: 5, minGpus: 1, threadable: false });
    const r = plan(f.build(), plain);
    expect(r.bookings.filter((b) => b.jobId === "job-j1")).toHaveLength(2);
    expect(r.bookings.filter((b) => b.jobId === "job-j2")).toHaveLength(1);
  });
  it("license limits: running frames never pass max, and a layer needs room in every limit", () => {
    const { f, show } = oneShowFarm(32);
    const nuke = f.limit("nuke", 3, 1);
    const full = f.limit("arnold", 5, 5);
    f.layer(f.job("j", show), "comp", { frames: 10, limitIds: [nuke.id], threadable: false });
    f.layer(f.job("k", show), "both", { frames: 10, limitIds: [nuke.id, full.id], threadable: false });
    f.layer(f.job("u", show), "unlimited", { frames: 2, limitIds: [f.limit("free", null).id], threadable: false });
    const r = plan(f.build(), plain);
    expect(r.bookings.filter((b) => b.layerId === "job-j/comp")).toHaveLength(2);
    expect(r.bookings.filter((b) => b.layerId === "job-k/both")).toHaveLength(0);
    expect(r.bookings.filter((b) => b.layerId === "job-u/unlimited")).toHaveLength(2);
    expect(r.blocked).toContainEqual({ layerId: "job-k/both", jobId: "job-k", reason: "limit" });
  });
  it("frames per layer per step and hosts per layer per step", () => {
    const f = createFarm();
    const a = f.alloc("general");
    const show = f.show("S");
    f.subscribe(show, a, 100, 100);
    for (let i = 0; i < 5; i++) f.host(`h${i}`, a, 2, 64);
    f.layer(f.job("j", show), "l", { frames: 10, threadable: false });
    const s = f.build();
    expect(plan(s, { ...plain, dispatchFramesPerLayerLimit: 3 }).bookings).toHaveLength(3);
    const r = plan(s, { ...plain, hostCandidateAttemptsPerLayer: 2 });
    expect(r.bookings).toHaveLength(4);
    expect(new Set(r.bookings.map((b) => b.hostId)).size).toBe(2);
    expect(r.blocked).toContainEqual({ layerId: "job-j/l", jobId: "job-j", reason: "host-attempts-per-layer" });
  });
});

describe("host filtering", () => {
  function filterFarm(host: Parameters<ReturnType<typeof createFarm>["host"]>[4], layer: Parameters<ReturnType<typeof createFarm>["layer"]>[2] = {}, job = {}) {
    const f = createFarm();
    const a = f.alloc("general");
    const show = f.show("S");
    f.subscribe(show, a, 100, 100);
    f.host("h", a, 8, 16, host);
    f.layer(f.job("j", show, job), "l", { frames: 1, ...layer });
    return f.build();
  }
  it("books only OPEN and UP hosts", () => {
    expect(plan(filterFarm({ lockState: "LOCKED" }), plain).bookings).toHaveLength(0);
    expect(plan(filterFarm({ lockState: "NIMBY_LOCKED" }), plain).bookings).toHaveLength(0);
    expect(plan(filterFarm({ state: "DOWN" }), plain).bookings).toHaveLength(0);
    expect(plan(filterFarm({}), plain).bookings).toHaveLength(1);
  });
  it("the job's OS must match the host's exactly; null or empty means any", () => {
    expect(plan(filterFarm({ os: "rocky9" }, {}, { os: "linux" }), plain).unplaceable[0]!.reason).toBe("os-mismatch");
    expect(plan(filterFarm({ os: "rocky9" }, {}, { os: "rocky9" }), plain).bookings).toHaveLength(1);
    expect(plan(filterFarm({ os: "rocky9" }, {}, { os: "" }), plain).bookings).toHaveLength(1);
  });
  it("ALL thread-mode hosts take threadable frames only, and give them every idle core", () => {
    expect(plan(filterFarm({ threadMode: "ALL" }, { threadable: false }), plain).unplaceable[0]!.reason).toBe("thread-mode");
    expect(plan(filterFarm({ threadMode: "ALL" }, { threadable: true }), plain).bookings[0]!.cores).toBe(800);
  });
  it("jobs of another facility do not use the host", () => {
    const r = plan(filterFarm({}, {}, { facilityId: "elsewhere" }), plain);
    expect(r.bookings).toHaveLength(0);
    expect(r.unplaceable[0]!.reason).toBe("no-subscription");
  });
  it("paused, finished and not-yet-started (start-after) work is not booked", () => {
    expect(plan(filterFarm({}, {}, { paused: true }), plain).bookings).toHaveLength(0);
    expect(plan(filterFarm({}, {}, { state: "FINISHED" }), plain).bookings).toHaveLength(0);
    expect(plan(filterFarm({}, { startAfterMs: 5000 }), plain, 4999).bookings).toHaveLength(0);
    expect(plan(filterFarm({}, { startAfterMs: 5000 }), plain, 5000).bookings).toHaveLength(1);
  });
  it("memory: the frame books at least mem_reserved_min, and must fit idle memory", () => {
    const r = plan(filterFarm({}, { memGiB: 0 }), { ...plain, memReservedMinKb: 256_000 });
    expect(r.bookings[0]!.memoryKb).toBe(256_000);
    expect(plan(filterFarm({ idleMemoryKb: 1 * GiB }, { memGiB: 2 }), plain).blocked[0]!.reason).toBe("no-idle-host");
  });
  it("GPU frames need idle GPUs and GPU memory", () => {
    const gpuHost = { totalGpus: 2, idleGpus: 1, totalGpuMemoryKb: 8 * GiB, idleGpuMemoryKb: 4 * GiB };
    expect(plan(filterFarm(gpuHost, { minGpus: 1, minGpuMemoryKb: 4 * GiB }), plain).bookings[0]).toMatchObject({ gpus: 1, gpuMemoryKb: 4 * GiB });
    expect(plan(filterFarm(gpuHost, { minGpus: 2 }), plain).blocked[0]!.reason).toBe("no-idle-host");
    expect(plan(filterFarm(gpuHost, { minGpus: 1, minGpuMemoryKb: 5 * GiB }), plain).blocked[0]!.reason).toBe("no-idle-host");
  });
});

describe("unplaceable layers are reported with the reason, never looped on", () => {
  function farm(layer: Parameters<ReturnType<typeof createFarm>["layer"]>[2]) {
    const f = createFarm();
    const a = f.alloc("general");
    const show = f.show("S");
    f.subscribe(show, a, 100, 100);
    f.host("small", a, 16, 32, { totalGpus: 1, idleGpus: 1, totalGpuMemoryKb: 8 * GiB, idleGpuMemoryKb: 8 * GiB });
    f.host("big", a, 64, 16);
    f.layer(f.job("j", show), "l", { frames: 1000, ...layer });
    return f.build();
  }
  it.each([
    [{ cores: 65 }, "cores-exceed-every-host", "needs 65 cores, the largest matching host has 64"],
    [{ memGiB: 33 }, "memory-exceed-every-host", "the largest matching host has"],
    [{ minGpus: 2 }, "gpus-exceed-every-host", "needs 2 GPUs"],
    [{ minGpus: 1, minGpuMemoryKb: 9 * GiB }, "gpu-memory-exceed-every-host", "GPU memory"],
    [{ tags: ["nowhere"] }, "no-host-with-tags", "nowhere"],
    [{ cores: 32, memGiB: 24 }, "no-single-host-fits", "no single host"],
  ] as const)("%j -> %s", (layer, reason, detail) => {
    const r = plan(farm(layer), plain);
    expect(r.bookings).toHaveLength(0);
    expect(r.unplaceable).toEqual([expect.objectContaining({ layerId: "job-j/l", reason, detail: expect.stringContaining(detail) })]);
    expect(r.stats.layersConsidered).toBe(1);
  });
});

describe("placement", () => {
  function placementFarm() {
    const f = createFarm();
    const a = f.alloc("general");
    const show = f.show("S");
    f.subscribe(show, a, 1000, 1000);
    f.host("narrow", a, 4, 64);
    f.host("wide", a, 64, 64);
    f.host("mid", a, 16, 16);
    f.layer(f.job("j", show), "l", { cores: 4, memGiB: 4, frames: 1 });
    return f.build();
  }
  it("first fit, best fit on cores: the host with the fewest idle cores that fits", () => {
    expect(plan(placementFarm(), plain).bookings[0]!.hostId).toBe("host-narrow");
  });
  it("first fit, worst fit on cores: the host with the most idle cores", () => {
    expect(plan(placementFarm(), { ...plain, coreSaturation: false }).bookings[0]!.hostId).toBe("host-wide");
  });
  it("scored (E-PVM): the host that strands the least, here the one that packs whole frames", () => {
    // narrow strands 15 frames' worth of memory, mid and wide strand nothing; mid is seen first.
    const r = plan(placementFarm(), { ...plain, placement: "scored" });
    expect(r.bookings[0]!.hostId).toBe("host-mid");
  });
  it("scored bookings carry the chosen host's score (for cue-scheduler's metric); first fit has none", () => {
    const scored = plan(placementFarm(), { ...plain, placement: "scored" }).bookings[0]!;
    expect(typeof scored.score).toBe("number");
    expect(Number.isFinite(scored.score)).toBe(true);
    expect(plan(placementFarm(), plain).bookings[0]!.score).toBeUndefined();
  });
  it("scored placement keeps CPU frames off GPU hosts", () => {
    const f = createFarm();
    const a = f.alloc("general");
    const show = f.show("S");
    f.subscribe(show, a, 1000, 1000);
    f.host("gpu", a, 16, 16, { totalGpus: 4, idleGpus: 4, totalGpuMemoryKb: 32 * GiB, idleGpuMemoryKb: 32 * GiB });
    f.host("cpu", a, 16, 16);
    f.layer(f.job("j", show), "l", { cores: 4, memGiB: 4, frames: 1 });
    expect(plan(f.build(), { ...plain, placement: "scored" }).bookings[0]!.hostId).toBe("host-cpu");
  });
  it("several frames share a host until it is full, and are never over-allocated", () => {
    const { f, show } = oneShowFarm(8);
    f.layer(f.job("j", show), "l", { cores: 3, memGiB: 1, frames: 5 });
    const r = plan(f.build(), { ...plain, memoryStrandedThresholdKb: 0 });
    expect(r.bookings.map((b) => b.cores)).toEqual([300, 300]);
    expect(bookedByHost(r.bookings).get("host-h")).toBe(600);
  });
});

describe("reservations with EASY backfill", () => {
  const now = 1_000_000;
  function backfillFarm(extra: { wideCores?: number; host2?: boolean; short?: boolean } = {}) {
    const f = createFarm();
    const a = f.alloc("general");
    const show = f.show("S");
    f.subscribe(show, a, 1000, 1000);
    // h1: 8 idle, 24 busy until now + 1 h; h2: 16 idle, 16 busy until now + 2 h.
    f.host("h1", a, 32, 128, { idleCores: 800, runningProcs: [{ id: "p1", cores: 2400, memoryKb: 8 * GiB, gpus: 0, gpuMemoryKb: 0, expectedEndMs: now + HOUR }] });
    if (extra.host2 !== false) f.host("h2", a, 32, 128, { idleCores: 1600, runningProcs: [{ id: "p2", cores: 1600, memoryKb: 8 * GiB, gpus: 0, gpuMemoryKb: 0, expectedEndMs: now + 2 * HOUR }] });
    f.layer(f.job("wide", show, { priority: 100 }), "sim", { cores: extra.wideCores ?? 32, memGiB: 8, frames: 1 });
    if (extra.short !== false) f.layer(f.job("short", show, { priority: 10 }), "l", { cores: 1, memGiB: 1, frames: 8, threadable: false, runtimeEstimateMs: HOUR / 2 });
    f.layer(f.job("long", show, { priority: 5 }), "l", { cores: 1, memGiB: 1, frames: 30, threadable: false, runtimeEstimateMs: 3 * HOUR });
    return f.build();
  }
  const opts = { ...plain, reservations: true };

  it("a frame too large to fit now reserves the host that frees soonest", () => {
    const r = plan(backfillFarm(), opts, now);
    expect(r.reservations).toEqual([expect.objectContaining({ frameId: "job-wide/sim/1", hostId: "host-h1", startsAtMs: now + HOUR, cores: 3200 })]);
    expect(r.blocked).toContainEqual({ layerId: "job-wide/sim", jobId: "job-wide", reason: "reserved" });
  });
  it("smaller frames backfill the reserved host only if they end before the reservation starts", () => {
    const r = plan(backfillFarm(), opts, now);
    const onH1 = r.bookings.filter((b) => b.hostId === "host-h1");
    expect(onH1).toHaveLength(8);
    expect(onH1.every((b) => b.jobId === "job-short" && b.backfill)).toBe(true);
    // The long frames went to h2 (16 idle) instead.
    expect(r.bookings.filter((b) => b.jobId === "job-long").every((b) => b.hostId === "host-h2")).toBe(true);
    expect(r.stats.backfilled).toBe(8);
  });
  it("long frames may not delay the reservation; without reservations they fill the host the wide frame needs", () => {
    const s = backfillFarm({ short: false });
    const held = plan(s, opts, now);
    expect(held.reservations).toEqual([expect.objectContaining({ hostId: "host-h1" })]);
    expect(held.bookings.filter((b) => b.hostId === "host-h1")).toHaveLength(0);
    expect(held.blocked).toContainEqual({ layerId: "job-long/l", jobId: "job-long", reason: "held-by-reservation" });
    const free = plan(s, plain, now);
    expect(free.reservations).toEqual([]);
    expect(free.bookings.filter((b) => b.hostId === "host-h1" && b.jobId === "job-long")).toHaveLength(8);
  });
  it("frames that leave the reservation enough room backfill whatever their runtime", () => {
    const r = plan(backfillFarm({ wideCores: 24, host2: false }), opts, now);
    // At now + 1 h h1 has 32 free, the reservation needs 24: 8 cores may stay busy past it.
    expect(r.reservations).toHaveLength(1);
    const onH1 = r.bookings.filter((b) => b.hostId === "host-h1");
    expect(onH1.reduce((s, b) => s + b.cores, 0)).toBe(800);
  });
  it("the next step honours the reservation and the wide frame takes the host when it frees", () => {
    const first = plan(backfillFarm(), opts, now);
    // An hour later h1's long proc and the backfilled short frames have ended: all 32 cores idle.
    const later = backfillFarm();
    const snapshot: FarmSnapshot = {
      ...later,
      hosts: later.hosts.map((h) => (h.id === "host-h1" ? { ...h, idleCores: 3200, runningProcs: [] } : h)),
      reservations: first.reservations,
    };
    const r = plan(snapshot, opts, now + HOUR);
    expect(r.bookings.find((b) => b.jobId === "job-wide")).toMatchObject({ hostId: "host-h1", cores: 3200 });
    expect(r.reservations).toEqual([]);
  });
});

describe("bad input", () => {
  const valid = () => {
    const { f, show } = oneShowFarm(8);
    f.layer(f.job("j", show), "l", { frames: 2 });
    return f.build();
  };
  const expectError = (s: FarmSnapshot, entity: string, id: string, field: string) => {
    try {
      plan(s);
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(SchedulerCoreError);
      expect(e).toMatchObject({ code: "inconsistent-snapshot", entity, id, field });
    }
  };
  it("negative idle resources", () => {
    const s = valid();
    expectError({ ...s, hosts: [{ ...s.hosts[0]!, idleCores: -100 }] }, "host", "host-h", "idleCores");
    expectError({ ...s, hosts: [{ ...s.hosts[0]!, idleMemoryKb: -1 }] }, "host", "host-h", "idleMemoryKb");
  });
  it("idle above total", () => {
    const s = valid();
    expectError({ ...s, hosts: [{ ...s.hosts[0]!, idleCores: 900 }] }, "host", "host-h", "idleCores");
  });
  it("unknown ids", () => {
    const s = valid();
    expectError({ ...s, jobs: [{ ...s.jobs[0]!, showId: "nope" }] }, "job", "job-j", "showId");
    expectError({ ...s, frames: [...s.frames, { id: "f", layerId: "nope", number: 1, dispatchOrder: 1 }] }, "frame", "f", "layerId");
    expectError({ ...s, layers: [{ ...s.layers[0]!, limitIds: ["nope"] }] }, "layer", "job-j/l", "limitIds");
    expectError({ ...s, hosts: [{ ...s.hosts[0]!, allocId: "nope" }] }, "host", "host-h", "allocId");
  });
  it("duplicated ids and non-numbers", () => {
    const s = valid();
    expectError({ ...s, jobs: [s.jobs[0]!, s.jobs[0]!] }, "job", "job-j", "id");
    expectError({ ...s, layers: [{ ...s.layers[0]!, minMemoryKb: Number.NaN }] }, "layer", "job-j/l", "minMemoryKb");
  });
  it("bad options are invalid-options", () => {
    expect(() => plan(valid(), { placement: "best" as "scored" })).toThrow(expect.objectContaining({ code: "invalid-options", field: "placement" }));
    expect(() => plan(valid(), { dispatchFramesPerLayerLimit: 0 })).toThrow(expect.objectContaining({ code: "invalid-options" }));
  });
  it("the snapshot is not modified", () => {
    const s = valid();
    const copy = JSON.parse(JSON.stringify(s));
    plan(s);
    expect(s).toEqual(copy);
  });
});
