// Turns a snapshot into the engine's working state, rejecting anything inconsistent with a typed
// error that names the entity, id and field. Nothing in the snapshot is mutated.
import { inconsistent } from "./errors.js";
import { createInternalHostIndex, type HostEntry, type InternalHostIndex } from "./host-index.js";
import type { PlanOptions } from "./options.js";
import type { Reservation } from "./plan-result.js";
import type { Allocation, FarmSnapshot, Folder, Frame, Job, Layer, LimitRecord, Show, Subscription } from "./snapshot.js";

export interface SubState {
  readonly sub: Subscription;
  readonly alloc: Allocation;
  booked: number;
}

export interface ShowState {
  readonly show: Show;
  readonly subs: SubState[];
  readonly subsByAlloc: Map<string, SubState>;
  readonly size: number;
  booked: number;
}

export interface FolderState {
  readonly folder: Folder;
  bookedCores: number;
  bookedGpus: number;
}

export interface LimitState {
  readonly limit: LimitRecord;
  running: number;
}

export interface LayerState {
  readonly layer: Layer;
  readonly job: JobState;
  readonly frames: Frame[];
  next: number;
  bookedHere: number;
  readonly hostsUsed: Set<HostEntry>;
  readonly tags: readonly string[];
  /** Per tag, the allocations it is scoped to (ALLOC clusters of a cluster-scoped plan); absent = unscoped. */
  readonly tagAllocIds?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Whole cores (see core-sizing): > 0 wanted, 0 whole host, < 0 all but N. */
  readonly minCoresWhole: number;
  readonly maxCoresWhole: number;
  /** Least whole cores one frame needs anywhere (for caps and buckets). */
  readonly leastWhole: number;
  readonly memoryKb: number;
  readonly selfish: boolean;
  readonly limits: LimitState[];
  done: boolean;
}

export interface JobState {
  readonly job: Job;
  readonly show: ShowState;
  readonly folder: FolderState;
  readonly layers: LayerState[];
  bookedCores: number;
  bookedGpus: number;
  readonly effectivePriority: number;
  lotteryKey: number;
  considered: boolean;
}

export interface Release {
  readonly endMs: number;
  readonly cores: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
}

export interface PreparedFarm {
  readonly index: InternalHostIndex;
  readonly shows: Map<string, ShowState>;
  readonly jobs: JobState[];
  readonly layersById: Map<string, LayerState>;
  readonly releases: Map<HostEntry, Release[]>;
  readonly previousReservations: readonly Reservation[];
}

type Entity = { readonly id: string };

function uniqueMap<T extends Entity>(entity: string, list: readonly T[] | undefined): Map<string, T> {
  const m = new Map<string, T>();
  for (const item of list ?? []) {
    if (typeof item.id !== "string" || item.id === "") throw inconsistent(entity, String(item.id), "id", "must be a non-empty string");
    if (m.has(item.id)) throw inconsistent(entity, item.id, "id", "is duplicated");
    m.set(item.id, item);
  }
  return m;
}

function num(entity: string, id: string, field: string, v: unknown, min = -Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw inconsistent(entity, id, field, `must be a finite number (got ${String(v)})`);
  if (v < min) throw inconsistent(entity, id, field, `must be >= ${min} (got ${v})`);
  return v;
}

function ref<T>(map: Map<string, T>, entity: string, id: string, field: string, target: string, value: string): T {
  const found = map.get(value);
  if (!found) throw inconsistent(entity, id, field, `names unknown ${target} ${value}`);
  return found;
}

export function prepareFarm(snapshot: FarmSnapshot, o: PlanOptions, nowMs: number): PreparedFarm {
  const mult = o.coreMultiplier;
  const allocs = uniqueMap("allocation", snapshot.allocations);
  const showsById = uniqueMap("show", snapshot.shows);
  const subsById = uniqueMap("subscription", snapshot.subscriptions);
  const foldersById = uniqueMap("folder", snapshot.folders);
  const jobsById = uniqueMap("job", snapshot.jobs);
  const layersById = uniqueMap("layer", snapshot.layers);
  const framesById = uniqueMap("frame", snapshot.frames);
  const limitsById = uniqueMap("limit", snapshot.limits);
  const hostsById = uniqueMap("host", snapshot.hosts);
  void framesById;

  const index = createInternalHostIndex({ coreMultiplier: mult, memoryBucketKb: o.memoryBucketKb });
  const releases = new Map<HostEntry, Release[]>();
  for (const h of hostsById.values()) {
    ref(allocs, "host", h.id, "allocId", "allocation", h.allocId);
    index.upsert(h, 0);
    if (h.runningProcs && h.runningProcs.length > 0) {
      const list: Release[] = [];
      for (const p of h.runningProcs) {
        const pid = `${h.id}/${p.id}`;
        const r = {
          endMs: p.expectedEndMs === undefined ? Infinity : num("proc", pid, "expectedEndMs", p.expectedEndMs),
          cores: num("proc", pid, "cores", p.cores, 0),
          memoryKb: num("proc", pid, "memoryKb", p.memoryKb, 0),
          gpus: num("proc", pid, "gpus", p.gpus, 0),
          gpuMemoryKb: num("proc", pid, "gpuMemoryKb", p.gpuMemoryKb, 0),
        };
        if (r.endMs !== Infinity) list.push(r);
      }
      if (list.length > 0) releases.set(index.entry(h.id)!, list);
    }
  }

  const shows = new Map<string, ShowState>();
  for (const s of showsById.values()) shows.set(s.id, { show: s, subs: [], subsByAlloc: new Map(), size: 0, booked: 0 });
  for (const sub of subsById.values()) {
    const show = ref(shows, "subscription", sub.id, "showId", "show", sub.showId);
    const alloc = ref(allocs, "subscription", sub.id, "allocId", "allocation", sub.allocId);
    num("subscription", sub.id, "size", sub.size);
    num("subscription", sub.id, "burst", sub.burst);
    const booked = num("subscription", sub.id, "bookedCores", sub.bookedCores, 0);
    if (show.subsByAlloc.has(alloc.id)) throw inconsistent("subscription", sub.id, "allocId", `duplicates show ${show.show.id}'s subscription to allocation ${alloc.id}`);
    const st: SubState = { sub, alloc, booked };
    show.subs.push(st);
    show.subsByAlloc.set(alloc.id, st);
    (show as { size: number }).size += Math.max(0, sub.size);
    show.booked += booked;
  }

  const folders = new Map<string, FolderState>();
  for (const f of foldersById.values()) {
    ref(showsById, "folder", f.id, "showId", "show", f.showId);
    num("folder", f.id, "maxCores", f.maxCores);
    num("folder", f.id, "maxGpus", f.maxGpus);
    folders.set(f.id, { folder: f, bookedCores: num("folder", f.id, "bookedCores", f.bookedCores, 0), bookedGpus: num("folder", f.id, "bookedGpus", f.bookedGpus, 0) });
  }

  const limits = new Map<string, LimitState>();
  for (const l of limitsById.values()) {
    if (l.maxValue !== null) num("limit", l.id, "maxValue", l.maxValue);
    limits.set(l.id, { limit: l, running: num("limit", l.id, "running", l.running, 0) });
  }

  const jobs: JobState[] = [];
  const jobStates = new Map<string, JobState>();
  for (const j of jobsById.values()) {
    const show = ref(shows, "job", j.id, "showId", "show", j.showId);
    const folder = ref(folders, "job", j.id, "folderId", "folder", j.folderId);
    for (const f of ["priority", "maxCores", "maxGpus", "submittedAtMs"] as const) num("job", j.id, f, j[f]);
    if (j.state !== "PENDING" && j.state !== "FINISHED") throw inconsistent("job", j.id, "state", `must be PENDING or FINISHED (got ${String(j.state)})`);
    const ageHours = Math.max(0, nowMs - j.submittedAtMs) / 3_600_000;
    const js: JobState = {
      job: j,
      show,
      folder,
      layers: [],
      bookedCores: num("job", j.id, "bookedCores", j.bookedCores, 0),
      bookedGpus: num("job", j.id, "bookedGpus", j.bookedGpus, 0),
      effectivePriority: j.priority + o.agingPerHour * ageHours,
      lotteryKey: 0,
      considered: false,
    };
    jobStates.set(j.id, js);
    jobs.push(js);
  }

  const ignore = new Set(o.ignoreTags);
  // Per show, the tag names its clusters allow (when the plan is scoped to clusters), each with the
  // allocations an ALLOC cluster scopes it to, or null when some other cluster allows it anywhere.
  let scope: Map<string, Map<string, Set<string> | null>> | undefined;
  if (o.clusters) {
    scope = new Map();
    for (const c of o.clusters) {
      let tags = scope.get(c.showId);
      if (!tags) scope.set(c.showId, (tags = new Map()));
      for (const t of c.tags) {
        const prev = tags.get(t.name);
        if (t.type === "ALLOC" && t.allocId !== undefined) {
          if (prev === undefined) tags.set(t.name, new Set([t.allocId]));
          else prev?.add(t.allocId);
        } else tags.set(t.name, null);
      }
    }
  }
  const selfish = new Set(o.selfishServices);
  const layerStates = new Map<string, LayerState>();
  for (const l of layersById.values()) {
    const job = ref(jobStates, "layer", l.id, "jobId", "job", l.jobId);
    for (const f of ["dispatchOrder", "minCores", "maxCores"] as const) num("layer", l.id, f, l[f]);
    for (const f of ["minMemoryKb", "minGpus", "minGpuMemoryKb"] as const) num("layer", l.id, f, l[f], 0);
    if (l.runtimeEstimateMs !== undefined) num("layer", l.id, "runtimeEstimateMs", l.runtimeEstimateMs, 0);
    if (!Array.isArray(l.tags)) throw inconsistent("layer", l.id, "tags", "must be an array of tag names");
    const ls = (l.limitIds ?? []).map((id) => ref(limits, "layer", l.id, "limitIds", "limit", id));
    const allowed = scope?.get(job.show.show.id);
    const tags = [...new Set(l.tags.map((t) => t.trim()).filter((t) => t !== "" && !ignore.has(t) && (!allowed || allowed.has(t))))];
    let tagAllocIds: Map<string, Set<string>> | undefined;
    for (const t of allowed ? tags : []) {
      const only = allowed!.get(t);
      if (only) (tagAllocIds ??= new Map()).set(t, only);
    }
    const minWhole = l.minCores > 0 ? Math.ceil(l.minCores / mult) : l.minCores < 0 ? -Math.ceil(-l.minCores / mult) : 0;
    const maxWhole = l.maxCores > 0 ? Math.max(1, Math.floor(l.maxCores / mult)) : 0;
    const least = !l.threadable ? 1 : minWhole > 0 ? (maxWhole > 0 ? Math.min(minWhole, maxWhole) : minWhole) : 1;
    const st: LayerState = {
      layer: l,
      job,
      frames: [],
      next: 0,
      bookedHere: 0,
      hostsUsed: new Set(),
      tags,
      ...(tagAllocIds ? { tagAllocIds } : {}),
      minCoresWhole: minWhole,
      maxCoresWhole: maxWhole,
      leastWhole: least,
      memoryKb: Math.max(l.minMemoryKb, o.memReservedMinKb),
      selfish: (l.services ?? []).some((s) => selfish.has(s)),
      limits: ls,
      // Scoped to clusters: a layer none of them covers is simply not part of this pass.
      done: scope !== undefined && tags.length === 0,
    };
    layerStates.set(l.id, st);
    job.layers.push(st);
  }
  for (const f of snapshot.frames) {
    const layer = ref(layerStates, "frame", f.id, "layerId", "layer", f.layerId);
    num("frame", f.id, "dispatchOrder", f.dispatchOrder);
    layer.frames.push(f);
  }
  const byFrameOrder = (a: Frame, b: Frame) => a.dispatchOrder - b.dispatchOrder || (a.layerOrder ?? 0) - (b.layerOrder ?? 0) || a.number - b.number || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  for (const l of layerStates.values()) if (l.frames.length > 1) l.frames.sort(byFrameOrder);
  for (const j of jobs) j.layers.sort((a, b) => a.layer.dispatchOrder - b.layer.dispatchOrder || (a.layer.id < b.layer.id ? -1 : 1));

  return { index, shows, jobs, layersById: layerStates, releases, previousReservations: snapshot.reservations ?? [] };
}
