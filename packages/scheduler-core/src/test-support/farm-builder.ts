// Hand-built farms for tests, in human units (cores, GiB); everything lands in Cuebot units.
import type { Allocation, FarmSnapshot, Folder, Frame, Host, Job, Layer, LimitRecord, Show, Subscription } from "../snapshot.js";

export const GiB = 1024 * 1024; // in KB

export interface FarmBuilder {
  alloc(name: string, opts?: { facility?: string; tag?: string }): Allocation;
  show(name: string, opts?: Partial<Show>): Show;
  subscribe(show: Show, alloc: Allocation, size: number, burst: number, booked?: number): Subscription;
  host(name: string, alloc: Allocation, cores: number, memGiB: number, opts?: Partial<Host> & { extraTags?: string[] }): Host;
  folder(show: Show, opts?: Partial<Folder>): Folder;
  job(name: string, show: Show, opts?: Partial<Job> & { folder?: Folder }): Job;
  layer(job: Job, name: string, opts?: Partial<Omit<Layer, "minCores" | "maxCores" | "minMemoryKb">> & { cores?: number; maxCores?: number; memGiB?: number; frames?: number }): Layer;
  limit(name: string, max: number | null, running?: number): LimitRecord;
  build(extra?: Partial<FarmSnapshot>): FarmSnapshot;
}

export function createFarm(): FarmBuilder {
  const allocations: Allocation[] = [];
  const shows: Show[] = [];
  const subscriptions: Subscription[] = [];
  const hosts: Host[] = [];
  const folders: Folder[] = [];
  const jobs: Job[] = [];
  const layers: Layer[] = [];
  const frames: Frame[] = [];
  const limits: LimitRecord[] = [];
  const defaultFolder = new Map<string, Folder>();
  let jobSeq = 0;
  const b: FarmBuilder = {
    alloc(name, opts = {}) {
      const a: Allocation = { id: `alloc-${name}`, name, facilityId: opts.facility ?? "fac", tag: opts.tag ?? name };
      allocations.push(a);
      return a;
    },
    show(name, opts = {}) {
      const s: Show = { id: `show-${name}`, name, ...opts };
      shows.push(s);
      return s;
    },
    subscribe(show, alloc, size, burst, booked = 0) {
      const s: Subscription = { id: `sub-${show.name}-${alloc.name}`, showId: show.id, allocId: alloc.id, size: size * 100, burst: burst * 100, bookedCores: booked * 100 };
      subscriptions.push(s);
      return s;
    },
    host(name, alloc, cores, memGiB, opts = {}) {
      const { extraTags, ...rest } = opts;
      const h: Host = {
        id: `host-${name}`,
        name,
        allocId: alloc.id,
        facilityId: alloc.facilityId,
        os: "linux",
        tags: [alloc.tag, ...(extraTags ?? [])],
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
        ...rest,
      };
      hosts.push(h);
      return h;
    },
    folder(show, opts = {}) {
      const f: Folder = { id: `folder-${show.name}-${folders.length}`, showId: show.id, maxCores: -1, minCores: 0, maxGpus: -1, minGpus: 0, bookedCores: 0, bookedGpus: 0, ...opts };
      folders.push(f);
      return f;
    },
    job(name, show, opts = {}) {
      const { folder, ...rest } = opts;
      let f = folder ?? defaultFolder.get(show.id);
      if (!f) {
        f = b.folder(show);
        defaultFolder.set(show.id, f);
      }
      const j: Job = {
        id: `job-${name}`,
        name,
        showId: show.id,
        folderId: f.id,
        facilityId: "fac",
        os: null,
        priority: 1,
        maxCores: -1,
        minCores: 0,
        maxGpus: -1,
        minGpus: 0,
        bookedCores: 0,
        bookedGpus: 0,
        state: "PENDING",
        paused: false,
        submittedAtMs: jobSeq++,
        ...rest,
      };
      jobs.push(j);
      return j;
    },
    layer(job, name, opts = {}) {
      const { cores, maxCores, memGiB, frames: n, ...rest } = opts;
      const l: Layer = {
        id: `${job.id}/${name}`,
        name,
        jobId: job.id,
        dispatchOrder: layers.filter((x) => x.jobId === job.id).length,
        minCores: (cores ?? 1) * 100,
        maxCores: (maxCores ?? 0) * 100,
        minMemoryKb: (memGiB ?? 1) * GiB,
        minGpus: 0,
        minGpuMemoryKb: 0,
        tags: ["general"],
        services: [],
        threadable: true,
        limitIds: [],
        ...rest,
      };
      layers.push(l);
      for (let i = 1; i <= (n ?? 1); i++) frames.push({ id: `${l.id}/${i}`, layerId: l.id, number: i, dispatchOrder: i });
      return l;
    },
    limit(name, max, running = 0) {
      const l: LimitRecord = { id: `limit-${name}`, name, maxValue: max, running };
      limits.push(l);
      return l;
    },
    build(extra = {}) {
      return { hosts, allocations, shows, subscriptions, folders, jobs, layers, frames, limits, ...extra };
    },
  };
  return b;
}

/** Booked cores per host after applying a plan's bookings, in centicores. */
export function bookedByHost(bookings: readonly { hostId: string; cores: number }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of bookings) m.set(x.hostId, (m.get(x.hostId) ?? 0) + x.cores);
  return m;
}
