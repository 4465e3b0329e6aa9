// The reference's smoke scenarios (scheduler-spec §6.1) as engine tests: one show subscribed to three
// allocations, a host per allocation, four jobs, 21 waiting frames; clusters scope each pass.
import type { Cluster } from "./clusters.js";
import { plan } from "./plan.js";
import type { FarmSnapshot, Frame } from "./snapshot.js";
import { createFarm, GiB } from "./test-support/farm-builder.js";

const HOSTNAME_TAG = "integ_test_hostname_tag";
const ALLOC_TAG = "integ_test_alloc_tag";
const MANUAL_TAG = "integ_test_manual_tag";
// The reference's test config: 8 frames per layer, stranded threshold 100 MB, 5 host attempts.
const testConfig = { dispatchFramesPerLayerLimit: 8, memoryStrandedThresholdKb: 100 * 1024, hostCandidateAttemptsPerLayer: 5, reservations: false } as const;

function smokeFarm(): { snapshot: FarmSnapshot; showId: string } {
  const f = createFarm();
  const hostnameAlloc = f.alloc("HOSTNAME");
  const allocAlloc = f.alloc("ALLOC");
  const manualAlloc = f.alloc("MANUAL");
  const show = f.show("integ_test_show");
  // Sizes and bursts in raw DB units (centicores): 1000/1200, 800/1000, 600/800.
  f.subscribe(show, hostnameAlloc, 10, 12);
  f.subscribe(show, allocAlloc, 8, 10);
  f.subscribe(show, manualAlloc, 6, 8);
  f.host("hostname", hostnameAlloc, 16, 32, { totalGpus: 4, idleGpus: 4, totalGpuMemoryKb: 8 * GiB, idleGpuMemoryKb: 8 * GiB, extraTags: [HOSTNAME_TAG] });
  f.host("alloc", allocAlloc, 12, 16, { totalGpus: 2, idleGpus: 2, totalGpuMemoryKb: 4 * GiB, idleGpuMemoryKb: 4 * GiB, extraTags: [ALLOC_TAG] });
  f.host("manual", manualAlloc, 8, 8, { totalGpus: 1, idleGpus: 1, totalGpuMemoryKb: 2 * GiB, idleGpuMemoryKb: 2 * GiB, extraTags: [MANUAL_TAG] });
  const big = { maxCores: 10000 * 100, maxGpus: 100 };
  const hostnameJob = f.job("hostname_job", show, big);
  f.layer(hostnameJob, "layer1", { tags: [HOSTNAME_TAG], cores: 2, memGiB: 2, minGpus: 1, minGpuMemoryKb: 1 * GiB, frames: 3 });
  f.layer(hostnameJob, "layer2", { tags: ["integ_test_no_such_tag"], cores: 4, memGiB: 4, frames: 3 });
  const allocJob = f.job("alloc_job", show, big);
  f.layer(allocJob, "layer1", { tags: [ALLOC_TAG], cores: 1, memGiB: 1, minGpus: 1, minGpuMemoryKb: 512 * 1024, frames: 3 });
  const manualJob = f.job("manual_job", show, big);
  f.layer(manualJob, "layer1", { tags: [MANUAL_TAG], cores: 1, memGiB: 1, frames: 3 });
  const mixedJob = f.job("mixed_job", show, big);
  f.layer(mixedJob, "hostname", { tags: [HOSTNAME_TAG], cores: 1, memGiB: 1, frames: 3 });
  f.layer(mixedJob, "alloc", { tags: [ALLOC_TAG], cores: 1, memGiB: 1, frames: 3 });
  f.layer(mixedJob, "manual", { tags: [MANUAL_TAG], cores: 1, memGiB: 1, frames: 3 });
  return { snapshot: f.build(), showId: show.id };
}

const cluster = (showId: string, name: string, type: "ALLOC" | "MANUAL" | "HOSTNAME"): Cluster => ({ facilityId: "fac", showId, tags: [{ name, type }] });
const waitingAfter = (s: FarmSnapshot, booked: readonly { frameId: string }[], pred: (f: Frame) => boolean = () => true) => {
  const done = new Set(booked.map((b) => b.frameId));
  return s.frames.filter((f) => pred(f) && !done.has(f.id)).length;
};
const ofJob = (jobId: string) => (f: Frame) => f.layerId.startsWith(`${jobId}/`);

describe("smoke scenarios (reference §6.1)", () => {
  it("starts with 21 waiting frames", () => {
    expect(smokeFarm().snapshot.frames).toHaveLength(21);
  });

  it("hostname-tag cluster: hostname_job goes from 6 waiting to 3 (only its tagged layer runs)", () => {
    const { snapshot, showId } = smokeFarm();
    const r = plan(snapshot, { ...testConfig, clusters: [cluster(showId, HOSTNAME_TAG, "HOSTNAME")] });
    expect(waitingAfter(snapshot, r.bookings, ofJob("job-hostname_job"))).toBe(3);
    expect(r.bookings.every((b) => b.hostId === "host-hostname")).toBe(true);
  });

  it("alloc-tag cluster: alloc_job and the mixed job's alloc layer run (the host's 2 GPUs admit two of alloc_job's 1-GPU frames)", () => {
    // The reference expects 21 -> 15, but its fixture gives this host 2 GPUs for three 1-GPU frames;
    // GPUs are a hard floor in both the reference's gate and here, so one frame keeps waiting.
    const { snapshot, showId } = smokeFarm();
    const r = plan(snapshot, { ...testConfig, clusters: [cluster(showId, ALLOC_TAG, "ALLOC")] });
    expect(waitingAfter(snapshot, r.bookings)).toBe(16);
    expect(waitingAfter(snapshot, r.bookings, ofJob("job-alloc_job"))).toBe(1);
    expect(waitingAfter(snapshot, r.bookings, (f) => f.layerId === "job-mixed_job/alloc")).toBe(0);
    expect(r.blocked).toContainEqual({ layerId: "job-alloc_job/layer1", jobId: "job-alloc_job", reason: "no-idle-host" });
  });

  it("manual-tag cluster: 21 -> 15 (manual_job 3 + the mixed job's manual layer 3)", () => {
    const { snapshot, showId } = smokeFarm();
    const r = plan(snapshot, { ...testConfig, clusters: [cluster(showId, MANUAL_TAG, "MANUAL")] });
    expect(waitingAfter(snapshot, r.bookings)).toBe(15);
    expect(r.bookings.every((b) => b.hostId === "host-manual")).toBe(true);
  });

  it("all three clusters: every placeable frame runs and the layer with an unknown tag is unplaceable", () => {
    const { snapshot, showId } = smokeFarm();
    const clusters = [cluster(showId, HOSTNAME_TAG, "HOSTNAME"), cluster(showId, ALLOC_TAG, "ALLOC"), cluster(showId, MANUAL_TAG, "MANUAL")];
    const r = plan(snapshot, { ...testConfig, clusters });
    // 21 - hostname layer2 (3, in no cluster) - one GPU-starved alloc_job frame = 17
    expect(r.bookings).toHaveLength(17);
    expect(r.unplaceable).toEqual([]);
    // Unscoped, the same farm reports the layer whose tag no host carries.
    const whole = plan(snapshot, testConfig);
    expect(whole.bookings).toHaveLength(17);
    expect(whole.unplaceable).toEqual([expect.objectContaining({ layerId: "job-hostname_job/layer2", reason: "no-host-with-tags" })]);
  });

  it("no matching hosts: a cluster whose tag no layer uses books nothing (21 -> 21)", () => {
    const { snapshot, showId } = smokeFarm();
    const r = plan(snapshot, { ...testConfig, clusters: [cluster(showId, "non_existent_tag", "MANUAL")] });
    expect(r.bookings).toHaveLength(0);
    expect(r.unplaceable).toHaveLength(0);
  });

  describe("job resource limits (their own fixture: one big allocation)", () => {
    function limitFarm(layers: number, framesPerLayer: number, job: { maxCores?: number; maxGpus?: number }, gpu = false) {
      const f = createFarm();
      const a = f.alloc("integ_limits");
      const show = f.show("limits");
      f.subscribe(show, a, 10000, 990000);
      for (let i = 0; i < 4; i++) f.host(`h${i}`, a, 32, 64, gpu ? { totalGpus: 8, idleGpus: 8, totalGpuMemoryKb: 16 * GiB, idleGpuMemoryKb: 16 * GiB } : {});
      const j = f.job("limited", show, job);
      for (let l = 0; l < layers; l++) f.layer(j, `l${l}`, { tags: ["integ_limits"], cores: 1, memGiB: 1, frames: framesPerLayer, ...(gpu ? { minGpus: 1 } : {}) });
      return f.build();
    }
    it("job max cores 400 across two layers of 4 one-core frames: at most 4 frames in total", () => {
      const r = plan(limitFarm(2, 4, { maxCores: 400 }), { reservations: false });
      expect(r.bookings.length).toBeGreaterThanOrEqual(1);
      expect(r.bookings.reduce((s, b) => s + b.cores, 0)).toBeLessThanOrEqual(400);
      expect(r.bookings.length).toBeLessThanOrEqual(4);
    });
    it("job max cores 300 on one layer of 10: at most 3", () => {
      const r = plan(limitFarm(1, 10, { maxCores: 300 }), { reservations: false });
      expect(r.bookings.length).toBeGreaterThanOrEqual(1);
      expect(r.bookings.length).toBeLessThanOrEqual(3);
    });
    it("max cores 0 means no cap: more than 4 frames", () => {
      const r = plan(limitFarm(2, 4, { maxCores: 0 }), { reservations: false });
      expect(r.bookings.length).toBeGreaterThan(4);
    });
    it("job max GPUs 3 across two layers of 4 one-GPU frames: at most 3", () => {
      const r = plan(limitFarm(2, 4, { maxGpus: 3 }, true), { reservations: false });
      expect(r.bookings.length).toBeGreaterThanOrEqual(1);
      expect(r.bookings.length).toBeLessThanOrEqual(3);
    });
  });
});
