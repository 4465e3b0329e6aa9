// The plan step: from one farm snapshot, the booking decisions of one scheduling tick.
//
// Order: shows by fair-share tier (booked / subscription size, lowest first) when fair share is on,
// then jobs by effective priority (priority + aging) with FIFO on ties, or by a priority-weighted
// lottery; within a job, layers by dispatch order and frames by frame order. Each decision books one
// frame and re-ranks, so a show that just got a frame yields to a poorer one.
import { coresForFrame, requestedCores } from "./core-sizing.js";
import { SchedulerCoreError } from "./errors.js";
import { createHeap, type Heap } from "./heap.js";
import type { CandidateQuery, HostEntry } from "./host-index.js";
import { resolvePlanOptions, type PlanOptions } from "./options.js";
import { placementScore } from "./placement-score.js";
import type { BlockedLayer, BlockedReason, Booking, PlanResult, Reservation, UnplaceableLayer, UnplaceableReason } from "./plan-result.js";
import { prepareFarm, type JobState, type LayerState, type Release, type ShowState, type SubState } from "./prepare.js";
import { createPrng } from "./prng.js";
import type { FarmSnapshot } from "./snapshot.js";

interface Hold {
  readonly layer: LayerState;
  readonly frameId: string;
  readonly host: HostEntry;
  startsAtMs: number;
  readonly cores: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
}

interface Queue {
  readonly show: ShowState | undefined;
  readonly jobs: Heap<JobState>;
}

const isOsMatch = (want: string | null, have: string) => want === null || want === "" || want === have;

/**
 * Decides which waiting frames start on which hosts now. Pure and deterministic: the same snapshot,
 * options (seed included) and `nowMs` give the same result. Throws SchedulerCoreError
 * ("inconsistent-snapshot" naming the bad id and field, or "invalid-options").
 */
export function plan(snapshot: FarmSnapshot, options: Partial<PlanOptions> = {}, nowMs = 0): PlanResult {
  const o = resolvePlanOptions(options);
  if (!Number.isFinite(nowMs)) throw new SchedulerCoreError("invalid-options", "plan: nowMs must be a finite number", { entity: "options", field: "nowMs" });
  const farm = prepareFarm(snapshot, o, nowMs);
  const { index, releases } = farm;
  const mult = o.coreMultiplier;

  const bookings: Booking[] = [];
  const unplaceable: UnplaceableLayer[] = [];
  const blocked: BlockedLayer[] = [];
  const holds = new Map<HostEntry, Hold>();
  const holdByLayer = new Map<LayerState, Hold>();
  let hostsExamined = 0;
  let jobsConsidered = 0;
  let layersConsidered = 0;
  let backfilled = 0;
  let coresBooked = 0;

  const layerEligible = (l: LayerState) => l.frames.length > 0 && (l.layer.startAfterMs === undefined || l.layer.startAfterMs === null || l.layer.startAfterMs <= nowMs);
  const eligibleJobs = farm.jobs.filter((j) => {
    if (j.job.state !== "PENDING" || j.job.paused || j.show.show.active === false) return false;
    let any = false;
    for (const l of j.layers) {
      if (layerEligible(l)) any = true;
      else l.done = true;
    }
    return any;
  });

  if (o.jobOrder === "lottery") {
    // Efraimidis-Spirakis: key = ln(u) / weight, largest first, is a weighted draw without replacement.
    const prng = createPrng(o.seed);
    const byId = [...eligibleJobs].sort((a, b) => (a.job.id < b.job.id ? -1 : a.job.id > b.job.id ? 1 : 0));
    for (const j of byId) j.lotteryKey = Math.log(1 - prng.next()) / Math.max(j.effectivePriority, 1e-9);
  }
  const jobFirst = o.jobOrder === "lottery"
    ? (a: JobState, b: JobState) => a.lotteryKey > b.lotteryKey || (a.lotteryKey === b.lotteryKey && a.job.id < b.job.id)
    : (a: JobState, b: JobState) =>
        a.effectivePriority > b.effectivePriority ||
        (a.effectivePriority === b.effectivePriority && (a.job.submittedAtMs < b.job.submittedAtMs || (a.job.submittedAtMs === b.job.submittedAtMs && a.job.id < b.job.id)));

  const tierOf = (s: ShowState) => (s.size > 0 ? s.booked / s.size : Infinity);
  const showFirst = (a: Queue, b: Queue) => {
    const sa = a.show!, sb = b.show!;
    const ta = tierOf(sa), tb = tierOf(sb);
    if (ta !== tb) return ta < tb;
    if (sa.booked !== sb.booked) return sa.booked < sb.booked;
    return sa.show.id < sb.show.id;
  };
  let queues: Heap<Queue>;
  if (o.fairShare) {
    const perShow = new Map<ShowState, JobState[]>();
    for (const j of eligibleJobs) {
      const list = perShow.get(j.show) ?? [];
      list.push(j);
      perShow.set(j.show, list);
    }
    queues = createHeap(showFirst, [...perShow].map(([show, jobs]) => ({ show, jobs: createHeap(jobFirst, jobs) })));
  } else {
    queues = createHeap<Queue>(() => false, eligibleJobs.length > 0 ? [{ show: undefined, jobs: createHeap(jobFirst, eligibleJobs) }] : []);
  }

  const block = (l: LayerState, reason: BlockedReason) => {
    l.done = true;
    blocked.push({ layerId: l.layer.id, jobId: l.job.job.id, reason });
  };
  const impossible = (l: LayerState, reason: UnplaceableReason, detail: string) => {
    l.done = true;
    unplaceable.push({ layerId: l.layer.id, jobId: l.job.job.id, reason, detail });
  };

  const room = (max: number, booked: number) => (max > 0 ? Math.floor((max - booked) / mult) : Infinity);
  const releaseList = (e: HostEntry) => releases.get(e);

  /** Resources free on host `e` at time t: idle now plus what ends by then. */
  const freeAt = (e: HostEntry, t: number) => {
    let c = e.idleCores, m = e.idleMemoryKb, g = e.idleGpus, gm = e.idleGpuMemoryKb;
    for (const r of releaseList(e) ?? []) {
      if (Math.max(r.endMs, nowMs) <= t) {
        c += r.cores;
        m += r.memoryKb;
        g += r.gpus;
        gm += r.gpuMemoryKb;
      }
    }
    return { c, m, g, gm };
  };
  /** The earliest time the host has `need` free, or Infinity. */
  const earliestFit = (e: HostEntry, need: { cores: number; memoryKb: number; gpus: number; gpuMemoryKb: number }) => {
    const fits = (f: { c: number; m: number; g: number; gm: number }) => f.c >= need.cores && f.m >= need.memoryKb && f.g >= need.gpus && f.gm >= need.gpuMemoryKb;
    if (fits(freeAt(e, nowMs))) return nowMs;
    const ends = [...new Set((releaseList(e) ?? []).map((r) => Math.max(r.endMs, nowMs)))].sort((a, b) => a - b);
    for (const t of ends) if (fits(freeAt(e, t))) return t;
    return Infinity;
  };

  const needOf = (l: LayerState, e: HostEntry) => {
    const total = Math.floor(e.host.totalCores / mult);
    let cores = requestedCores(l.minCoresWhole, l.layer.threadable, total);
    if (l.maxCoresWhole > 0) cores = Math.min(cores, l.maxCoresWhole);
    return { cores: cores * mult, memoryKb: l.memoryKb, gpus: l.layer.minGpus, gpuMemoryKb: l.layer.minGpuMemoryKb };
  };

  const scopeOf = (l: LayerState): Pick<CandidateQuery, "tagAllocIds"> => (l.tagAllocIds ? { tagAllocIds: l.tagAllocIds } : {});
  /** The host carries one of the layer's tags, within the allocations that tag is scoped to. */
  const inScope = (l: LayerState, e: HostEntry) => l.tags.some((t) => e.host.tags.includes(t) && (l.tagAllocIds?.get(t)?.has(e.host.allocId) ?? true));

  // Reservations carried over from the previous step, while their frame still waits.
  for (const r of farm.previousReservations) {
    if (holdByLayer.size >= o.maxReservations) break;
    const l = farm.layersById.get(r.layerId);
    const e = index.entry(r.hostId);
    if (!l || !e || !e.bookable || l.done || holdByLayer.has(l) || holds.has(e) || !inScope(l, e)) continue;
    if (!eligibleJobs.includes(l.job) || !l.frames.some((f) => f.id === r.frameId)) continue;
    const need = needOf(l, e);
    const startsAtMs = earliestFit(e, need);
    if (startsAtMs === Infinity) continue;
    const h: Hold = { layer: l, frameId: r.frameId, host: e, startsAtMs, ...need };
    holds.set(e, h);
    holdByLayer.set(l, h);
  }

  const subsInFacility = (j: JobState) => j.show.subs.filter((s) => s.alloc.facilityId === j.job.facilityId && s.sub.burst > 0);

  /** Why no host of this farm could ever run the layer, or undefined when one could. */
  const whyImpossible = (l: LayerState): [UnplaceableReason, string] | undefined => {
    const j = l.job;
    const subs = subsInFacility(j);
    if (subs.length === 0) return ["no-subscription", `show ${j.show.show.name} has no subscription with burst > 0 in facility ${j.job.facilityId}`];
    if (l.tags.length === 0) return ["no-host-with-tags", "the layer has no usable tags"];
    const shapes = index.shapes(l.tags, subs.map((s) => s.alloc.id), l.tagAllocIds);
    if (shapes.length === 0) return ["no-host-with-tags", `no host of the show's allocations carries any of the tags ${l.tags.join(", ")}`];
    const osOk = shapes.filter((s) => isOsMatch(j.job.os, s.os));
    if (osOk.length === 0) return ["os-mismatch", `needs OS ${j.job.os}; hosts with the tags run ${[...new Set(shapes.map((s) => s.os))].join(", ")}`];
    const modeOk = osOk.filter((s) => l.layer.threadable || s.threadMode !== "ALL");
    if (modeOk.length === 0) return ["thread-mode", "the layer is not threadable and every matching host is in ALL thread mode"];
    const coresOk = (s: (typeof modeOk)[number]) => {
      const total = Math.floor(s.totalCores / mult);
      const want = Math.min(requestedCores(l.minCoresWhole, l.layer.threadable, total), l.maxCoresWhole > 0 ? l.maxCoresWhole : Infinity);
      return want >= 1 && want <= total;
    };
    const maxOf = (f: (s: (typeof modeOk)[number]) => number) => Math.max(...modeOk.map(f));
    if (!modeOk.some(coresOk)) return ["cores-exceed-every-host", `needs ${l.leastWhole} cores, the largest matching host has ${Math.floor(maxOf((s) => s.totalCores) / mult)}`];
    if (!modeOk.some((s) => s.totalMemoryKb >= l.memoryKb)) return ["memory-exceed-every-host", `needs ${l.memoryKb} KB, the largest matching host has ${maxOf((s) => s.totalMemoryKb)} KB`];
    if (!modeOk.some((s) => s.totalGpus >= l.layer.minGpus)) return ["gpus-exceed-every-host", `needs ${l.layer.minGpus} GPUs, the largest matching host has ${maxOf((s) => s.totalGpus)}`];
    if (!modeOk.some((s) => s.totalGpuMemoryKb >= l.layer.minGpuMemoryKb)) return ["gpu-memory-exceed-every-host", `needs ${l.layer.minGpuMemoryKb} KB of GPU memory, the largest matching host has ${maxOf((s) => s.totalGpuMemoryKb)} KB`];
    const all = modeOk.some((s) => coresOk(s) && s.totalMemoryKb >= l.memoryKb && s.totalGpus >= l.layer.minGpus && s.totalGpuMemoryKb >= l.layer.minGpuMemoryKb);
    if (!all) return ["no-single-host-fits", "each resource exists on some host, but no single host has them all"];
    return undefined;
  };

  let budgetRejected = false;
  let holdRejected = false;
  let backfill = false;

  /** Whole cores the frame gets on host e now (0: not there). Sets the flags above. */
  const evaluate = (l: LayerState, e: HostEntry): number => {
    hostsExamined++;
    const j = l.job;
    const sub = j.show.subsByAlloc.get(e.host.allocId);
    if (!sub || sub.sub.burst <= 0 || sub.alloc.facilityId !== j.job.facilityId) return 0;
    if (e.idleMemoryKb < l.memoryKb || e.idleGpus < l.layer.minGpus || e.idleGpuMemoryKb < l.layer.minGpuMemoryKb) return 0;
    const budget = Math.min(room(j.job.maxCores, j.bookedCores), room(j.folder.folder.maxCores, j.folder.bookedCores), Math.floor((sub.sub.burst - sub.booked) / mult));
    const input = {
      minCores: l.minCoresWhole,
      threadable: l.layer.threadable,
      maxCores: l.maxCoresWhole,
      selfish: l.selfish,
      minMemoryKb: l.memoryKb,
      threadMode: e.host.threadMode,
      idleCores: Math.floor(e.idleCores / mult),
      totalCores: Math.floor(e.host.totalCores / mult),
      idleMemoryKb: e.idleMemoryKb,
      totalMemoryKb: e.host.totalMemoryKb,
      memoryStrandedThresholdKb: o.memoryStrandedThresholdKb,
      budget,
    };
    const cores = coresForFrame(input);
    if (cores === 0) {
      if (budget !== Infinity && coresForFrame({ ...input, budget: Infinity }) > 0) budgetRejected = true;
      return 0;
    }
    backfill = false;
    const h = holds.get(e);
    if (h && h.layer !== l) {
      // EASY backfill: allowed if it ends before the reservation starts, or leaves it enough anyway.
      const est = l.layer.runtimeEstimateMs;
      const endsFirst = est !== undefined && nowMs + est <= h.startsAtMs;
      if (!endsFirst) {
        const f = freeAt(e, h.startsAtMs);
        const leaves = f.c - cores * mult >= h.cores && f.m - l.memoryKb >= h.memoryKb && f.g - l.layer.minGpus >= h.gpus && f.gm - l.layer.minGpuMemoryKb >= h.gpuMemoryKb;
        if (!leaves) {
          holdRejected = true;
          return 0;
        }
      }
      backfill = true;
    }
    return cores;
  };

  const findHost = (l: LayerState, allocs: SubState[]): { e: HostEntry; cores: number; backfill: boolean; score?: number } | undefined => {
    const j = l.job.job;
    if (l.hostsUsed.size >= o.hostCandidateAttemptsPerLayer) {
      for (const e of l.hostsUsed) {
        const c = evaluate(l, e);
        if (c > 0) return { e, cores: c, backfill };
      }
      return undefined;
    }
    const query: CandidateQuery = {
      tags: l.tags,
      allocIds: allocs.map((s) => s.alloc.id), ...scopeOf(l),
      minCores: l.leastWhole * mult,
      minMemoryKb: l.memoryKb,
      minGpus: l.layer.minGpus,
      minGpuMemoryKb: l.layer.minGpuMemoryKb,
      os: j.os,
      threadable: l.layer.threadable,
      coreSaturation: o.placement === "scored" ? true : o.coreSaturation,
      memorySaturation: o.placement === "scored" ? true : o.memorySaturation,
    };
    let best: { e: HostEntry; cores: number; backfill: boolean; score?: number } | undefined;
    if (o.placement === "first-fit") {
      index.visit(query, (h) => {
        const e = h as HostEntry;
        const c = evaluate(l, e);
        if (c === 0) return false;
        best = { e, cores: c, backfill };
        return true;
      });
      return best;
    }
    let bestScore = Infinity;
    let seen = 0;
    index.visit(query, (h) => {
      const e = h as HostEntry;
      const c = evaluate(l, e);
      if (c === 0) return false;
      const sub = l.job.show.subsByAlloc.get(e.host.allocId)!;
      const headroom = Math.min(room(j.maxCores, l.job.bookedCores), room(l.job.folder.folder.maxCores, l.job.folder.bookedCores), Math.floor((sub.sub.burst - sub.booked) / mult));
      const score = placementScore(
        {
          cores: l.leastWhole,
          memoryKb: l.memoryKb,
          gpus: l.layer.minGpus,
          gpuMemoryKb: l.layer.minGpuMemoryKb,
          idleCores: Math.floor(e.idleCores / mult),
          idleMemoryKb: e.idleMemoryKb,
          idleGpus: e.idleGpus,
          idleGpuMemoryKb: e.idleGpuMemoryKb,
          capHeadroom: headroom - l.leastWhole,
        },
        o.weights,
      );
      if (score < bestScore) {
        bestScore = score;
        best = { e, cores: c, backfill, score };
      }
      return ++seen >= o.maxCandidates;
    });
    return best;
  };

  /**
   * "Too large to fit now": some matching host has idle cores, just not enough of them (or of memory
   * or GPUs) for this frame. On a farm with nothing idle a frame is not too large, only queued: it
   * takes the next freed core in its turn, so it does not need to hold a host.
   */
  const isTooLarge = (l: LayerState, allocs: SubState[]): boolean => {
    if (holdRejected) return false; // it fits, only reservations keep it out
    let found = false;
    index.visit({ tags: l.tags, allocIds: allocs.map((s) => s.alloc.id), ...scopeOf(l), os: l.job.job.os, threadable: l.layer.threadable, minCores: mult }, (h) => {
      found = !holds.has(h as HostEntry);
      return found;
    });
    return found;
  };

  const tryReserve = (l: LayerState, allocs: SubState[]): boolean => {
    const j = l.job.job;
    let best: { e: HostEntry; t: number; need: ReturnType<typeof needOf> } | undefined;
    index.visit({ tags: l.tags, allocIds: allocs.map((s) => s.alloc.id), ...scopeOf(l), os: j.os, threadable: l.layer.threadable }, (h) => {
      const e = h as HostEntry;
      if (holds.has(e) || !releaseList(e)) return false;
      const need = needOf(l, e);
      if (need.cores < mult || need.cores > e.host.totalCores || need.memoryKb > e.host.totalMemoryKb || need.gpus > e.host.totalGpus || need.gpuMemoryKb > e.host.totalGpuMemoryKb) return false;
      const t = earliestFit(e, need);
      if (t > nowMs && t < (best?.t ?? Infinity)) best = { e, t, need };
      return false;
    });
    if (!best) return false;
    const h: Hold = { layer: l, frameId: l.frames[l.next]!.id, host: best.e, startsAtMs: best.t, ...best.need };
    holds.set(best.e, h);
    holdByLayer.set(l, h);
    return true;
  };

  const book = (l: LayerState, e: HostEntry, wholeCores: number, isBackfill: boolean, score?: number) => {
    const j = l.job;
    const sub = j.show.subsByAlloc.get(e.host.allocId)!;
    const c = wholeCores * mult;
    const gpus = l.layer.minGpus;
    const gpuMem = l.layer.minGpuMemoryKb;
    index.adjust(e, e.idleCores - c, e.idleMemoryKb - l.memoryKb, e.idleGpus - gpus, e.idleGpuMemoryKb - gpuMem);
    sub.booked += c;
    j.show.booked += c;
    j.folder.bookedCores += c;
    j.folder.bookedGpus += gpus;
    j.bookedCores += c;
    j.bookedGpus += gpus;
    for (const lim of l.limits) lim.running++;
    const frame = l.frames[l.next++]!;
    l.bookedHere++;
    l.hostsUsed.add(e);
    const est = l.layer.runtimeEstimateMs;
    if (est !== undefined) {
      const r: Release = { endMs: nowMs + est, cores: c, memoryKb: l.memoryKb, gpus, gpuMemoryKb: gpuMem };
      const list = releases.get(e);
      if (list) list.push(r);
      else releases.set(e, [r]);
    }
    const own = holdByLayer.get(l);
    if (own) {
      holdByLayer.delete(l);
      holds.delete(own.host);
    }
    if (isBackfill) backfilled++;
    coresBooked += c;
    bookings.push({
      frameId: frame.id,
      layerId: l.layer.id,
      jobId: j.job.id,
      showId: j.show.show.id,
      folderId: j.folder.folder.id,
      hostId: e.host.id,
      allocId: e.host.allocId,
      subscriptionId: sub.sub.id,
      cores: c,
      memoryKb: l.memoryKb,
      gpus,
      gpuMemoryKb: gpuMem,
      backfill: isBackfill,
      ...(score !== undefined ? { score } : {}),
    });
  };

  /** Books one frame of the layer, or marks the layer done with its reason. */
  const tryLayer = (l: LayerState): boolean => {
    layersConsidered++;
    if (l.next >= l.frames.length) {
      l.done = true;
      return false;
    }
    if (l.bookedHere >= o.dispatchFramesPerLayerLimit) return block(l, "frames-per-layer-limit"), false;
    const j = l.job;
    const leastC = l.leastWhole * mult;
    const gpus = l.layer.minGpus;
    if (j.job.maxCores > 0 && j.bookedCores + leastC > j.job.maxCores) return block(l, "job-max-cores"), false;
    if (j.job.maxGpus > 0 && gpus > 0 && j.bookedGpus + gpus > j.job.maxGpus) return block(l, "job-max-gpus"), false;
    const f = j.folder;
    if (f.folder.maxCores > 0 && f.bookedCores + leastC > f.folder.maxCores) return block(l, "folder-max-cores"), false;
    if (f.folder.maxGpus > 0 && gpus > 0 && f.bookedGpus + gpus > f.folder.maxGpus) return block(l, "folder-max-gpus"), false;
    for (const lim of l.limits) if (lim.limit.maxValue !== null && lim.running + 1 > lim.limit.maxValue) return block(l, "limit"), false;
    const all = subsInFacility(j);
    const allocs = all.filter((s) => s.booked + leastC <= s.sub.burst);
    if (allocs.length === 0) {
      const why = all.length === 0 ? whyImpossible(l) : undefined;
      if (why) impossible(l, why[0], why[1]);
      else block(l, "subscription-burst");
      return false;
    }
    if (o.fairShare && allocs.length > 1) {
      // Prefer the allocation where the show is furthest below its entitlement.
      const t = (s: SubState) => (s.sub.size > 0 ? s.booked / s.sub.size : Infinity);
      allocs.sort((a, b) => t(a) - t(b) || (a.alloc.id < b.alloc.id ? -1 : a.alloc.id > b.alloc.id ? 1 : 0));
    }
    budgetRejected = false;
    holdRejected = false;
    const found = l.tags.length > 0 ? findHost(l, allocs) : undefined;
    if (found) {
      book(l, found.e, found.cores, found.backfill, found.score);
      return true;
    }
    const why = whyImpossible(l);
    if (why) return impossible(l, why[0], why[1]), false;
    if (l.hostsUsed.size >= o.hostCandidateAttemptsPerLayer) return block(l, "host-attempts-per-layer"), false;
    if (budgetRejected) {
      const jr = room(j.job.maxCores, j.bookedCores);
      const fr = room(f.folder.maxCores, f.bookedCores);
      return block(l, jr <= fr && jr !== Infinity ? "job-max-cores" : fr !== Infinity ? "folder-max-cores" : "subscription-burst"), false;
    }
    if (holdByLayer.has(l)) return block(l, "reserved"), false;
    if (o.reservations && holdByLayer.size < o.maxReservations && isTooLarge(l, allocs) && tryReserve(l, allocs)) return block(l, "reserved"), false;
    return block(l, holdRejected ? "held-by-reservation" : "no-idle-host"), false;
  };

  const tryJob = (j: JobState): boolean => {
    if (!j.considered) {
      j.considered = true;
      jobsConsidered++;
    }
    for (const l of j.layers) {
      if (l.done) continue;
      if (tryLayer(l)) return true;
    }
    return false;
  };

  for (;;) {
    if (o.maxBookings > 0 && bookings.length >= o.maxBookings) break;
    const q = queues.peek();
    if (!q) break;
    const job = q.jobs.peek();
    if (!job) {
      queues.pop();
      continue;
    }
    if (tryJob(job)) {
      if (o.fairShare) queues.updateTop();
    } else {
      q.jobs.pop();
      if (q.jobs.size === 0) queues.pop();
    }
  }

  const reservations: Reservation[] = [...holdByLayer.values()].map((h) => ({
    frameId: h.frameId,
    layerId: h.layer.layer.id,
    jobId: h.layer.job.job.id,
    showId: h.layer.job.show.show.id,
    hostId: h.host.host.id,
    startsAtMs: h.startsAtMs,
    cores: h.cores,
    memoryKb: h.memoryKb,
    gpus: h.gpus,
    gpuMemoryKb: h.gpuMemoryKb,
  }));
  return {
    bookings,
    reservations,
    unplaceable,
    blocked,
    stats: { bookings: bookings.length, reservations: reservations.length, backfilled, jobsConsidered, layersConsidered, hostsExamined, coresBooked },
  };
}
