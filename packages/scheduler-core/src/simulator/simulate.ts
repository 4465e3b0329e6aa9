// The simulator: replays a synthetic farm through plan() in simulated time. Frames really run for
// their drawn runtime (the engine only sees the layer's estimate), hosts free up as they end, and
// every step's reservations are fed to the next, as a service would.
import { SchedulerCoreError } from "../errors.js";
import { resolvePlanOptions, type PlanOptions } from "../options.js";
import { plan } from "../plan.js";
import type { Reservation } from "../plan-result.js";
import { createPrng, type Prng } from "../prng.js";
import type { Allocation, FarmSnapshot, Folder, Frame, Host, Job, Layer, LimitRecord, RunningProc, Show, Subscription } from "../snapshot.js";
import type { FarmSpec, RuntimeDistribution } from "./farm-spec.js";

export interface SimulateOptions {
  /** Simulated time to run (ms). */
  readonly durationMs: number;
  /** Simulated time between plan steps (default 10 s). */
  readonly tickMs?: number;
  /** Time between samples of the time series (default: tickMs x 6). */
  readonly sampleEveryMs?: number;
  /** A frame waiting longer than this counts as starved (default 1 h). */
  readonly starvationThresholdMs?: number;
  readonly plan?: Partial<PlanOptions>;
  /** Wall clock in ms (e.g. performance.now) to measure decisions per second; absent = not measured. */
  readonly clock?: () => number;
  /** Stop early when every job has finished (default true). */
  readonly stopWhenDone?: boolean;
}

export interface SimSample {
  readonly timeMs: number;
  /** Booked cores / total cores of bookable hosts. */
  readonly utilisation: number;
  /** Per show: its booked cores / total cores. */
  readonly share: Readonly<Record<string, number>>;
  readonly runningFrames: number;
  readonly waitingFrames: number;
}

export interface SimShowReport {
  readonly name: string;
  /** Subscription size / total size of all shows. */
  readonly entitlement: number;
  /** Time-averaged share of the farm's cores while the show had work waiting or running. */
  readonly meanShare: number;
  readonly framesSubmitted: number;
  readonly framesStarted: number;
  readonly framesDone: number;
  readonly meanWaitMs: number;
  readonly p95WaitMs: number;
  readonly maxWaitMs: number;
  /** Frames that waited (or still wait) longer than the starvation threshold. */
  readonly starvedFrames: number;
}

export interface SimulationResult {
  readonly samples: readonly SimSample[];
  readonly shows: readonly SimShowReport[];
  readonly meanUtilisation: number;
  readonly endMs: number;
  readonly planSteps: number;
  readonly decisions: number;
  readonly reservations: number;
  readonly backfilled: number;
  /** Plan wall time (ms) and decisions per second; null without a clock. */
  readonly planWallMs: number | null;
  readonly decisionsPerSecond: number | null;
  readonly framesSubmitted: number;
  readonly framesDone: number;
}

const GiB = 1024 * 1024;

function drawRuntime(d: RuntimeDistribution, prng: Prng): number {
  switch (d.kind) {
    case "fixed":
      return d.ms;
    case "uniform":
      return d.minMs + prng.next() * (d.maxMs - d.minMs);
    case "lognormal": {
      // Box-Muller from two uniforms.
      const u = 1 - prng.next();
      const v = prng.next();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return d.medianMs * Math.exp(d.sigma * z);
    }
  }
}

function meanRuntime(d: RuntimeDistribution): number {
  return d.kind === "fixed" ? d.ms : d.kind === "uniform" ? (d.minMs + d.maxMs) / 2 : d.medianMs * Math.exp((d.sigma * d.sigma) / 2);
}

interface SimFrame {
  readonly frame: Frame;
  readonly layer: SimLayerState;
  startMs: number;
  endMs: number;
  hostId: string;
  cores: number;
  memoryKb: number;
  gpus: number;
  gpuMemoryKb: number;
  subId: string;
}

interface SimLayerState {
  readonly layer: Layer;
  readonly job: SimJobState;
  readonly runtime: RuntimeDistribution;
  waiting: Frame[];
}

interface SimJobState {
  job: Job;
  readonly showName: string;
  readonly layers: SimLayerState[];
  remaining: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Runs the farm for `durationMs` of simulated time through plan(). Pure: the only clock is `options.clock`. */
export function simulate(spec: FarmSpec, options: SimulateOptions): SimulationResult {
  const tick = options.tickMs ?? 10_000;
  const sampleEvery = options.sampleEveryMs ?? tick * 6;
  const starveAfter = options.starvationThresholdMs ?? 3_600_000;
  if (!(options.durationMs > 0) || !(tick > 0) || !(sampleEvery > 0)) throw new SchedulerCoreError("invalid-options", "simulate: durationMs, tickMs and sampleEveryMs must be > 0", { entity: "options" });
  const planOptions = resolvePlanOptions(options.plan);
  const prng = createPrng(spec.seed ?? 1);
  const facilityId = "sim";

  const allocations: Allocation[] = spec.allocs.map((a) => ({ id: `alloc-${a.name}`, name: a.name, facilityId, tag: a.tag ?? a.name }));
  const allocByName = new Map(allocations.map((a) => [a.name, a]));
  const alloc = (name: string) => {
    const a = allocByName.get(name);
    if (!a) throw new SchedulerCoreError("invalid-options", `simulate: unknown allocation ${name}`, { entity: "farm-spec", field: "alloc", id: name });
    return a;
  };
  const hosts = new Map<string, Host>();
  let totalCores = 0;
  spec.hosts.forEach((g, gi) => {
    const a = alloc(g.alloc);
    for (let i = 0; i < g.count; i++) {
      const id = `host-${gi}-${i}`;
      const h: Host = {
        id,
        name: id,
        allocId: a.id,
        facilityId,
        os: g.os ?? "linux",
        tags: [a.tag, ...(g.tags ?? [])],
        totalCores: g.cores * 100,
        idleCores: g.cores * 100,
        totalMemoryKb: Math.round(g.memoryGb * GiB),
        idleMemoryKb: Math.round(g.memoryGb * GiB),
        totalGpus: g.gpus ?? 0,
        idleGpus: g.gpus ?? 0,
        totalGpuMemoryKb: Math.round((g.gpuMemoryGb ?? 0) * GiB),
        idleGpuMemoryKb: Math.round((g.gpuMemoryGb ?? 0) * GiB),
        threadMode: g.threadMode ?? "AUTO",
        lockState: g.lockState ?? "OPEN",
        state: "UP",
      };
      hosts.set(id, h);
      if (h.lockState === "OPEN") totalCores += h.totalCores;
    }
  });
  const limits = new Map<string, LimitRecord>((spec.limits ?? []).map((l) => [l.name, { id: `limit-${l.name}`, name: l.name, maxValue: l.max, running: 0 }]));
  const shows: Show[] = [];
  const subs = new Map<string, Subscription>();
  const folders = new Map<string, Folder>();
  const showNames = new Map<string, string>();
  const entitlement = new Map<string, number>();
  const jobsAll: SimJobState[] = [];
  let totalSize = 0;
  for (const sh of spec.shows) {
    const show: Show = { id: `show-${sh.name}`, name: sh.name };
    shows.push(show);
    showNames.set(show.id, sh.name);
    let size = 0;
    for (const s of sh.subscriptions) {
      const a = alloc(s.alloc);
      const sub: Subscription = { id: `sub-${sh.name}-${a.name}`, showId: show.id, allocId: a.id, size: s.size * 100, burst: s.burst * 100, bookedCores: 0 };
      subs.set(sub.id, sub);
      size += s.size;
    }
    entitlement.set(sh.name, size);
    totalSize += size;
    const folder: Folder = { id: `folder-${sh.name}`, showId: show.id, maxCores: (sh.folderMaxCores ?? 0) * 100, minCores: 0, maxGpus: 0, minGpus: 0, bookedCores: 0, bookedGpus: 0 };
    folders.set(folder.id, folder);
    sh.jobs.forEach((stream, si) => {
      let t = stream.startMs ?? 0;
      for (let n = 0; n < stream.count; n++) {
        if (n > 0 && (stream.meanInterArrivalMs ?? 0) > 0) t += -Math.log(1 - prng.next()) * stream.meanInterArrivalMs!;
        const jobId = `job-${sh.name}-${si}-${n}`;
        const job: Job = {
          id: jobId,
          name: jobId,
          showId: show.id,
          folderId: folder.id,
          facilityId,
          os: null,
          priority: stream.priority ?? 1,
          maxCores: (stream.maxCores ?? 0) * 100,
          minCores: 0,
          maxGpus: 0,
          minGpus: 0,
          bookedCores: 0,
          bookedGpus: 0,
          state: "PENDING",
          paused: false,
          submittedAtMs: Math.round(t),
        };
        const js: SimJobState = { job, showName: sh.name, layers: [], remaining: 0 };
        stream.layers.forEach((l, li) => {
          const layerId = `${jobId}/l${li}`;
          const layer: Layer = {
            id: layerId,
            jobId,
            dispatchOrder: li,
            minCores: Math.round(l.cores * 100),
            maxCores: 0,
            minMemoryKb: Math.round(l.memoryGb * GiB),
            minGpus: l.gpus ?? 0,
            minGpuMemoryKb: Math.round((l.gpuMemoryGb ?? 0) * GiB),
            tags: l.tags,
            services: [],
            threadable: l.threadable ?? false,
            limitIds: (l.limits ?? []).map((name) => {
              const lim = limits.get(name);
              if (!lim) throw new SchedulerCoreError("invalid-options", `simulate: unknown limit ${name}`, { entity: "farm-spec", field: "limits", id: name });
              return lim.id;
            }),
            runtimeEstimateMs: Math.round(l.estimateMs ?? meanRuntime(l.runtime)),
          };
          const ls: SimLayerState = { layer, job: js, runtime: l.runtime, waiting: [] };
          for (let k = 1; k <= l.frames; k++) ls.waiting.push({ id: `${layerId}/${k}`, layerId, number: k, dispatchOrder: k });
          js.remaining += l.frames;
          js.layers.push(ls);
        });
        jobsAll.push(js);
      }
    });
  }
  jobsAll.sort((a, b) => a.job.submittedAtMs - b.job.submittedAtMs || (a.job.id < b.job.id ? -1 : 1));
  const framesSubmitted = jobsAll.reduce((s, j) => s + j.remaining, 0);

  const running: SimFrame[] = [];
  const waits = new Map<string, number[]>(spec.shows.map((s) => [s.name, []]));
  const counts = new Map(spec.shows.map((s) => [s.name, { submitted: 0, started: 0, done: 0 }]));
  for (const j of jobsAll) counts.get(j.showName)!.submitted += j.remaining;
  const shareSum = new Map<string, number>(spec.shows.map((s) => [s.name, 0]));
  const shareN = new Map<string, number>(spec.shows.map((s) => [s.name, 0]));
  const samples: SimSample[] = [];
  let utilSum = 0;
  let utilN = 0;
  let active: SimJobState[] = [];
  let nextJob = 0;
  let reservations: readonly Reservation[] = [];
  let planSteps = 0;
  let decisions = 0;
  let reserved = 0;
  let backfilled = 0;
  let planWall = 0;
  let framesDone = 0;
  let nextSample = 0;
  let now = 0;
  const jobsById = new Map<string, SimJobState>();
  const stopWhenDone = options.stopWhenDone ?? true;

  const adjustHost = (id: string, sign: 1 | -1, f: SimFrame) => {
    const h = hosts.get(id)!;
    hosts.set(id, { ...h, idleCores: h.idleCores + sign * f.cores, idleMemoryKb: h.idleMemoryKb + sign * f.memoryKb, idleGpus: h.idleGpus + sign * f.gpus, idleGpuMemoryKb: h.idleGpuMemoryKb + sign * f.gpuMemoryKb });
  };
  const adjustCounters = (f: SimFrame, sign: 1 | -1) => {
    const sub = subs.get(f.subId)!;
    subs.set(sub.id, { ...sub, bookedCores: sub.bookedCores + sign * f.cores });
    const j = f.layer.job;
    j.job = { ...j.job, bookedCores: j.job.bookedCores + sign * f.cores, bookedGpus: j.job.bookedGpus + sign * f.gpus };
    const folder = folders.get(j.job.folderId)!;
    folders.set(folder.id, { ...folder, bookedCores: folder.bookedCores + sign * f.cores, bookedGpus: folder.bookedGpus + sign * f.gpus });
    for (const id of f.layer.layer.limitIds) {
      for (const [name, l] of limits) if (l.id === id) limits.set(name, { ...l, running: l.running + sign });
    }
  };

  while (now <= options.durationMs) {
    // Frames that ended free their host and counters.
    for (let i = running.length - 1; i >= 0; i--) {
      const f = running[i]!;
      if (f.endMs > now) continue;
      running.splice(i, 1);
      adjustHost(f.hostId, 1, f);
      adjustCounters(f, -1);
      f.layer.job.remaining--;
      framesDone++;
      counts.get(f.layer.job.showName)!.done++;
    }
    while (nextJob < jobsAll.length && jobsAll[nextJob]!.job.submittedAtMs <= now) {
      const j = jobsAll[nextJob++]!;
      active.push(j);
      jobsById.set(j.job.id, j);
    }
    active = active.filter((j) => j.remaining > 0);

    const procsByHost = new Map<string, RunningProc[]>();
    for (const f of running) {
      const list = procsByHost.get(f.hostId) ?? [];
      list.push({ id: f.frame.id, cores: f.cores, memoryKb: f.memoryKb, gpus: f.gpus, gpuMemoryKb: f.gpuMemoryKb, expectedEndMs: f.startMs + (f.layer.layer.runtimeEstimateMs ?? 0) });
      procsByHost.set(f.hostId, list);
    }
    const waitingLayers = active.flatMap((j) => j.layers);
    const layerById = new Map(waitingLayers.map((l) => [l.layer.id, l]));
    const snapshot: FarmSnapshot = {
      hosts: [...hosts.values()].map((h) => (procsByHost.has(h.id) ? { ...h, runningProcs: procsByHost.get(h.id)! } : h)),
      allocations,
      shows,
      subscriptions: [...subs.values()],
      folders: [...folders.values()],
      jobs: active.map((j) => j.job),
      layers: waitingLayers.map((l) => l.layer),
      frames: waitingLayers.flatMap((l) => l.waiting.slice(0, planOptions.dispatchFramesPerLayerLimit === Infinity ? undefined : planOptions.dispatchFramesPerLayerLimit)),
      limits: [...limits.values()],
      reservations,
    };
    const t0 = options.clock?.();
    const result = plan(snapshot, planOptions, now);
    if (options.clock && t0 !== undefined) planWall += options.clock() - t0;
    planSteps++;
    decisions += result.bookings.length;
    reserved += result.reservations.length;
    backfilled += result.stats.backfilled;
    reservations = result.reservations;
    for (const b of result.bookings) {
      const layer = layerById.get(b.layerId)!;
      const idx = layer.waiting.findIndex((f) => f.id === b.frameId);
      const [frame] = layer.waiting.splice(idx, 1);
      const f: SimFrame = { frame: frame!, layer, startMs: now, endMs: now + Math.max(1, drawRuntime(layer.runtime, prng)), hostId: b.hostId, cores: b.cores, memoryKb: b.memoryKb, gpus: b.gpus, gpuMemoryKb: b.gpuMemoryKb, subId: b.subscriptionId };
      running.push(f);
      adjustHost(b.hostId, -1, f);
      adjustCounters(f, 1);
      waits.get(layer.job.showName)!.push(now - layer.job.job.submittedAtMs);
      counts.get(layer.job.showName)!.started++;
    }

    const bookedByShow = new Map<string, number>();
    for (const f of running) bookedByShow.set(f.layer.job.showName, (bookedByShow.get(f.layer.job.showName) ?? 0) + f.cores);
    const booked = [...bookedByShow.values()].reduce((a, b) => a + b, 0);
    const util = totalCores > 0 ? booked / totalCores : 0;
    const anyWork = active.length > 0 || running.length > 0;
    if (anyWork) {
      utilSum += util;
      utilN++;
    }
    const demand = new Set(active.map((j) => j.showName));
    for (const sh of spec.shows) {
      if (!demand.has(sh.name)) continue;
      shareSum.set(sh.name, shareSum.get(sh.name)! + (bookedByShow.get(sh.name) ?? 0) / Math.max(1, totalCores));
      shareN.set(sh.name, shareN.get(sh.name)! + 1);
    }
    if (now >= nextSample) {
      const share: Record<string, number> = {};
      for (const sh of spec.shows) share[sh.name] = (bookedByShow.get(sh.name) ?? 0) / Math.max(1, totalCores);
      samples.push({ timeMs: now, utilisation: util, share, runningFrames: running.length, waitingFrames: waitingLayers.reduce((s, l) => s + l.waiting.length, 0) });
      nextSample += sampleEvery;
    }
    if (stopWhenDone && nextJob >= jobsAll.length && active.every((j) => j.remaining === 0) && running.length === 0) break;
    now += tick;
  }
  const endMs = Math.min(now, options.durationMs);

  const showReports: SimShowReport[] = spec.shows.map((sh) => {
    const w = [...waits.get(sh.name)!].sort((a, b) => a - b);
    // Frames still waiting at the end count with their wait so far.
    let starved = w.filter((x) => x > starveAfter).length;
    for (const j of active) if (j.showName === sh.name) for (const l of j.layers) for (let k = 0; k < l.waiting.length; k++) if (endMs - j.job.submittedAtMs > starveAfter) starved++;
    const c = counts.get(sh.name)!;
    return {
      name: sh.name,
      entitlement: totalSize > 0 ? entitlement.get(sh.name)! / totalSize : 0,
      meanShare: shareN.get(sh.name)! > 0 ? shareSum.get(sh.name)! / shareN.get(sh.name)! : 0,
      framesSubmitted: c.submitted,
      framesStarted: c.started,
      framesDone: c.done,
      meanWaitMs: w.length > 0 ? w.reduce((a, b) => a + b, 0) / w.length : 0,
      p95WaitMs: percentile(w, 0.95),
      maxWaitMs: w.length > 0 ? w[w.length - 1]! : 0,
      starvedFrames: starved,
    };
  });
  return {
    samples,
    shows: showReports,
    meanUtilisation: utilN > 0 ? utilSum / utilN : 0,
    endMs,
    planSteps,
    decisions,
    reservations: reserved,
    backfilled,
    planWallMs: options.clock ? planWall : null,
    decisionsPerSecond: options.clock && planWall > 0 ? (decisions / planWall) * 1000 : null,
    framesSubmitted,
    framesDone,
  };
}
