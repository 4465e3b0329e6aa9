// Properties of plan() over random farms: no host over-allocated, no cap exceeded, frames booked at
// most once, and the same seed gives the same plan.
import fc from "fast-check";
import { plan } from "./plan.js";
import type { PlanOptions } from "./options.js";
import type { FarmSnapshot } from "./snapshot.js";
import { createFarm, GiB } from "./test-support/farm-builder.js";

const farmArb = fc
  .record({
    hosts: fc.array(fc.record({ cores: fc.integer({ min: 1, max: 32 }), busy: fc.integer({ min: 0, max: 32 }), mem: fc.integer({ min: 1, max: 64 }), gpus: fc.integer({ min: 0, max: 4 }), alloc: fc.integer({ min: 0, max: 1 }), mode: fc.constantFrom("AUTO", "ALL", "VARIABLE") as fc.Arbitrary<"AUTO" | "ALL" | "VARIABLE">, withProc: fc.boolean() }), { minLength: 1, maxLength: 8 }),
    shows: fc.array(fc.record({ size: fc.integer({ min: 0, max: 40 }), burst: fc.integer({ min: 0, max: 60 }), folderMax: fc.integer({ min: -1, max: 30 }) }), { minLength: 1, maxLength: 3 }),
    jobs: fc.array(
      fc.record({
        show: fc.nat(),
        priority: fc.integer({ min: 0, max: 10 }),
        maxCores: fc.integer({ min: -1, max: 40 }),
        maxGpus: fc.integer({ min: -1, max: 4 }),
        layers: fc.array(fc.record({ cores: fc.integer({ min: -2, max: 12 }), maxCores: fc.integer({ min: 0, max: 8 }), mem: fc.integer({ min: 0, max: 16 }), gpus: fc.integer({ min: 0, max: 2 }), frames: fc.integer({ min: 1, max: 12 }), threadable: fc.boolean(), limit: fc.boolean(), estimate: fc.option(fc.integer({ min: 1, max: 7_200_000 }), { nil: undefined }) }), { minLength: 1, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    limitMax: fc.integer({ min: 0, max: 6 }),
  })
  .map((spec): FarmSnapshot => {
    const f = createFarm();
    const allocs = [f.alloc("a0"), f.alloc("a1")];
    const limit = f.limit("lic", spec.limitMax, 0);
    const shows = spec.shows.map((s, i) => {
      const show = f.show(`s${i}`);
      f.subscribe(show, allocs[0]!, s.size, s.burst);
      f.subscribe(show, allocs[1]!, s.size, Math.max(0, s.burst - 10));
      return { show, folder: f.folder(show, { maxCores: s.folderMax * 100 }) };
    });
    spec.hosts.forEach((h, i) => {
      const busy = Math.min(h.busy, h.cores);
      f.host(`h${i}`, allocs[h.alloc]!, h.cores, h.mem, {
        idleCores: (h.cores - busy) * 100,
        threadMode: h.mode,
        totalGpus: h.gpus,
        idleGpus: h.gpus,
        totalGpuMemoryKb: h.gpus * 4 * GiB,
        idleGpuMemoryKb: h.gpus * 4 * GiB,
        extraTags: ["general"],
        ...(h.withProc && busy > 0 ? { runningProcs: [{ id: "p", cores: busy * 100, memoryKb: 0, gpus: 0, gpuMemoryKb: 0, expectedEndMs: 1_000 + i * 600_000 }] } : {}),
      });
    });
    spec.jobs.forEach((j, i) => {
      const s = shows[j.show % shows.length]!;
      const job = f.job(`j${i}`, s.show, { folder: s.folder, priority: j.priority, maxCores: j.maxCores * 100, maxGpus: j.maxGpus, submittedAtMs: i * 1000 });
      j.layers.forEach((l, k) =>
        f.layer(job, `l${k}`, { cores: l.cores, maxCores: l.maxCores, memGiB: l.mem, minGpus: l.gpus, minGpuMemoryKb: l.gpus * GiB, frames: l.frames, threadable: l.threadable, limitIds: l.limit ? [limit.id] : [], ...(l.estimate ? { runtimeEstimateMs: l.estimate } : {}) }),
      );
    });
    return f.build();
  });

const optionsArb: fc.Arbitrary<Partial<PlanOptions>> = fc.record({
  seed: fc.integer(),
  placement: fc.constantFrom("first-fit", "scored") as fc.Arbitrary<"first-fit" | "scored">,
  jobOrder: fc.constantFrom("priority", "lottery") as fc.Arbitrary<"priority" | "lottery">,
  fairShare: fc.boolean(),
  reservations: fc.boolean(),
  coreSaturation: fc.boolean(),
  memoryStrandedThresholdKb: fc.constantFrom(0, 2 * GiB),
});

function checkInvariants(s: FarmSnapshot, r: ReturnType<typeof plan>) {
  const hosts = new Map(s.hosts.map((h) => [h.id, { ...h }]));
  const sum = <K>(key: (b: (typeof r.bookings)[number]) => K, val: (b: (typeof r.bookings)[number]) => number) => {
    const m = new Map<K, number>();
    for (const b of r.bookings) m.set(key(b), (m.get(key(b)) ?? 0) + val(b));
    return m;
  };
  // A host is never over-allocated in any dimension.
  for (const [id, c] of sum((b) => b.hostId, (b) => b.cores)) expect(c).toBeLessThanOrEqual(hosts.get(id)!.idleCores);
  for (const [id, m] of sum((b) => b.hostId, (b) => b.memoryKb)) expect(m).toBeLessThanOrEqual(hosts.get(id)!.idleMemoryKb);
  for (const [id, g] of sum((b) => b.hostId, (b) => b.gpus)) expect(g).toBeLessThanOrEqual(hosts.get(id)!.idleGpus);
  for (const [id, g] of sum((b) => b.hostId, (b) => b.gpuMemoryKb)) expect(g).toBeLessThanOrEqual(hosts.get(id)!.idleGpuMemoryKb);
  // No cap is exceeded.
  for (const [id, c] of sum((b) => b.subscriptionId, (b) => b.cores)) {
    const sub = s.subscriptions.find((x) => x.id === id)!;
    expect(sub.bookedCores + c).toBeLessThanOrEqual(sub.burst);
  }
  for (const [id, c] of sum((b) => b.jobId, (b) => b.cores)) {
    const j = s.jobs.find((x) => x.id === id)!;
    if (j.maxCores > 0) expect(j.bookedCores + c).toBeLessThanOrEqual(j.maxCores);
  }
  for (const [id, g] of sum((b) => b.jobId, (b) => b.gpus)) {
    const j = s.jobs.find((x) => x.id === id)!;
    if (j.maxGpus > 0) expect(j.bookedGpus + g).toBeLessThanOrEqual(j.maxGpus);
  }
  for (const [id, c] of sum((b) => b.folderId, (b) => b.cores)) {
    const f = s.folders.find((x) => x.id === id)!;
    if (f.maxCores > 0) expect(f.bookedCores + c).toBeLessThanOrEqual(f.maxCores);
  }
  const lic = s.limits![0]!;
  const licensed = new Set(s.layers.filter((l) => l.limitIds.includes(lic.id)).map((l) => l.id));
  expect(r.bookings.filter((b) => licensed.has(b.layerId)).length).toBeLessThanOrEqual(lic.maxValue!);
  // Whole cores, at least one; each frame at most once; unplaceable layers get nothing.
  for (const b of r.bookings) {
    expect(b.cores % 100).toBe(0);
    expect(b.cores).toBeGreaterThanOrEqual(100);
    const layer = s.layers.find((l) => l.id === b.layerId)!;
    if (!layer.threadable) expect(b.cores).toBe(100);
    if (layer.maxCores > 0) expect(b.cores).toBeLessThanOrEqual(Math.max(100, layer.maxCores));
  }
  expect(new Set(r.bookings.map((b) => b.frameId)).size).toBe(r.bookings.length);
  const impossible = new Set(r.unplaceable.map((u) => u.layerId));
  expect(r.bookings.some((b) => impossible.has(b.layerId))).toBe(false);
  // A host holds at most one reservation.
  expect(new Set(r.reservations.map((x) => x.hostId)).size).toBe(r.reservations.length);
}

describe("plan properties", () => {
  it("never over-allocates a host and never exceeds a cap", () => {
    fc.assert(fc.property(farmArb, optionsArb, (s, o) => checkInvariants(s, plan(s, o, 1_000))), { numRuns: 300 });
  });
  it("the same seed gives the same plan", () => {
    fc.assert(fc.property(farmArb, optionsArb, (s, o) => expect(plan(s, o, 1_000)).toEqual(plan(s, o, 1_000))), { numRuns: 100 });
  });
  it("feeding a step's bookings back never breaks the invariants on the next step", () => {
    fc.assert(
      fc.property(farmArb, optionsArb, (s, o) => {
        const first = plan(s, o, 1_000);
        const booked = new Map<string, { c: number; m: number; g: number; gm: number }>();
        for (const b of first.bookings) {
          const x = booked.get(b.hostId) ?? { c: 0, m: 0, g: 0, gm: 0 };
          booked.set(b.hostId, { c: x.c + b.cores, m: x.m + b.memoryKb, g: x.g + b.gpus, gm: x.gm + b.gpuMemoryKb });
        }
        const started = new Set(first.bookings.map((b) => b.frameId));
        const next: FarmSnapshot = {
          ...s,
          hosts: s.hosts.map((h) => {
            const x = booked.get(h.id);
            return x ? { ...h, idleCores: h.idleCores - x.c, idleMemoryKb: h.idleMemoryKb - x.m, idleGpus: h.idleGpus - x.g, idleGpuMemoryKb: h.idleGpuMemoryKb - x.gm } : h;
          }),
          frames: s.frames.filter((f) => !started.has(f.id)),
          reservations: first.reservations,
        };
        const second = plan(next, o, 2_000);
        checkInvariants(next, second);
      }),
      { numRuns: 100 },
    );
  });
});
