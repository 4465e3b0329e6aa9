// One cluster pass as a scheduler-core FarmSnapshot, and the way back: each Booking plan() returns
// becomes a Decision carrying the DispatchLayer / DispatchFrame / DispatchHost the booking
// transaction and the RunFrame need. Pure: the rows come from the pass's queries.
import type { Booking, FarmSnapshot, Folder, Frame, Host, Job, Layer, Reservation, RunningProc, ThreadMode } from "@opencue-ts/scheduler-core";
import type { DispatchHost } from "../db/hosts.js";
import type { DispatchJob } from "../db/jobs.js";
import type { DispatchFrame, DispatchLayer } from "../db/layers.js";
import type { PlanInputs } from "../db/plan-inputs.js";

/** A booking decision with the rows it came from. */
export interface Decision {
  readonly layer: DispatchLayer;
  readonly frame: DispatchFrame;
  readonly host: DispatchHost;
  readonly coreUnits: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
  readonly backfill: boolean;
  readonly score?: number;
}

export interface PassSnapshotInput {
  readonly showId: string;
  readonly showName: string;
  readonly facilityId: string;
  readonly jobs: readonly DispatchJob[];
  /** Layers per job id (queryLayers), each with its WAITING frames. */
  readonly layers: ReadonlyMap<string, readonly DispatchLayer[]>;
  readonly hosts: readonly DispatchHost[];
  readonly inputs: PlanInputs;
  /** Hosts left alone after failed launches: not part of the snapshot. */
  readonly excludedHosts: ReadonlySet<string>;
  /** The previous pass's reservations of this cluster. */
  readonly reservations: readonly Reservation[];
}

export interface PassSnapshot {
  readonly snapshot: FarmSnapshot;
  /** Booking -> Decision (undefined only if the engine named an id the pass never gave it). */
  decisionOf(b: Booking & { readonly score?: number }): Decision | undefined;
}

const THREAD_MODES: readonly ThreadMode[] = ["AUTO", "ALL", "VARIABLE"];

export function buildPassSnapshot(p: PassSnapshotInput): PassSnapshot {
  const procsByHost = new Map<string, RunningProc[]>();
  for (const r of p.inputs.procs) {
    let list = procsByHost.get(r.hostId);
    if (!list) procsByHost.set(r.hostId, (list = []));
    list.push({ id: r.id, jobId: r.jobId, ...(r.layerId ? { layerId: r.layerId } : {}), cores: r.cores, memoryKb: r.memoryKb, gpus: r.gpus, gpuMemoryKb: r.gpuMemoryKb, ...(r.expectedEndMs !== undefined ? { expectedEndMs: r.expectedEndMs } : {}) });
  }
  const hostById = new Map<string, DispatchHost>();
  const hosts: Host[] = [];
  for (const h of p.hosts) {
    if (p.excludedHosts.has(h.id)) continue;
    hostById.set(h.id, h);
    const running = procsByHost.get(h.id);
    hosts.push({
      id: h.id, name: h.name, allocId: h.allocId, facilityId: p.facilityId, os: h.os, tags: h.tags,
      totalCores: h.totalCoreUnits, idleCores: Math.max(0, h.idleCoreUnits), totalMemoryKb: h.totalMemoryKb, idleMemoryKb: Math.max(0, h.idleMemoryKb),
      totalGpus: h.totalGpus, idleGpus: Math.max(0, h.idleGpus), totalGpuMemoryKb: h.totalGpuMemoryKb, idleGpuMemoryKb: Math.max(0, h.idleGpuMemoryKb),
      threadMode: THREAD_MODES[h.threadMode] ?? "AUTO", lockState: "OPEN", state: "UP",
      ...(running ? { runningProcs: running } : {}),
    });
  }
  const allocations = [...new Map(p.inputs.subscriptions.map((s) => [s.allocId, { id: s.allocId, name: s.allocName, facilityId: s.facilityId, tag: s.allocTag }])).values()];
  const folderById = new Map<string, Folder>(p.inputs.folders.map((f) => [f.id, { ...f, showId: p.showId }]));
  const jobs: Job[] = [];
  const layers: Layer[] = [];
  const frames: Frame[] = [];
  const layerById = new Map<string, DispatchLayer>();
  const frameById = new Map<string, DispatchFrame>();
  for (const j of p.jobs) {
    // A folder without its folder_resource row has no caps.
    if (!folderById.has(j.folderId)) folderById.set(j.folderId, { id: j.folderId, showId: p.showId, maxCores: 0, minCores: 0, maxGpus: 0, minGpus: 0, bookedCores: 0, bookedGpus: 0 });
    jobs.push({
      id: j.id, showId: p.showId, folderId: j.folderId, facilityId: j.facilityId, os: j.os, priority: j.priority,
      maxCores: j.maxCoreUnits, minCores: j.minCoreUnits, maxGpus: j.maxGpus, minGpus: j.minGpus,
      bookedCores: Math.max(0, j.coresInUse), bookedGpus: Math.max(0, j.gpusInUse), state: "PENDING", paused: false, submittedAtMs: j.startedAtMs,
    });
    // queryLayers returns layers in dispatch order and frames in frame order: positions keep it.
    (p.layers.get(j.id) ?? []).forEach((l, li) => {
      layerById.set(l.id, l);
      const estimate = p.inputs.runtimeEstimates.get(l.id);
      layers.push({
        id: l.id, name: l.name, jobId: j.id, dispatchOrder: li, minCores: l.minCoreUnits, maxCores: l.maxCoreUnits,
        minMemoryKb: l.minMemoryKb, minGpus: l.minGpus, minGpuMemoryKb: l.minGpuMemoryKb, tags: l.tags, services: l.services,
        threadable: l.threadable, limitIds: p.inputs.layerLimits.get(l.id) ?? [],
        ...(estimate !== undefined ? { runtimeEstimateMs: estimate } : {}),
      });
      l.frames.forEach((f, fi) => {
        frameById.set(f.id, f);
        frames.push({ id: f.id, layerId: l.id, number: fi, dispatchOrder: fi });
      });
    });
  }
  const snapshot: FarmSnapshot = {
    hosts, allocations, shows: [{ id: p.showId, name: p.showName }],
    subscriptions: p.inputs.subscriptions.map((s) => ({ id: s.id, showId: p.showId, allocId: s.allocId, size: s.size, burst: s.burst, bookedCores: s.bookedCores })),
    folders: [...folderById.values()], jobs, layers, frames, limits: p.inputs.limits, reservations: p.reservations,
  };
  return {
    snapshot,
    decisionOf(b) {
      const layer = layerById.get(b.layerId), frame = frameById.get(b.frameId), host = hostById.get(b.hostId);
      if (!layer || !frame || !host) return undefined;
      return { layer, frame, host, coreUnits: b.cores, memoryKb: b.memoryKb, gpus: b.gpus, gpuMemoryKb: b.gpuMemoryKb, backfill: b.backfill, ...(b.score !== undefined ? { score: b.score } : {}) };
    },
  };
}
