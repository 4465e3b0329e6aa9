// The host index: hosts grouped by (tag, allocation) and bucketed by idle whole cores, then by idle
// memory (host_cache.memory_key_divisor), so a candidate with enough of both is found without
// scanning the farm. The plan step builds one per snapshot; the service can keep one alive and move
// hosts in and out with checkout / check-in guarded by versions (a newer report wins, a stale one
// is ignored, a check-in older than what the index has seen is a conflict).
import { SchedulerCoreError, inconsistent } from "./errors.js";
import type { Host, ThreadMode } from "./snapshot.js";

export interface HostIndexOptions {
  /** Centicores per core (queue.core_multiplier); default 100. */
  readonly coreMultiplier?: number;
  /** Memory bucket size in KB (host_cache.memory_key_divisor); default 2 GiB. */
  readonly memoryBucketKb?: number;
}

/** A host as the index holds it: the last record given plus its current idle resources. */
export interface IndexedHost {
  readonly host: Host;
  readonly idleCores: number;
  readonly idleMemoryKb: number;
  readonly idleGpus: number;
  readonly idleGpuMemoryKb: number;
  readonly version: number;
  readonly checkedOut: boolean;
}

export interface CandidateQuery {
  /** The host must carry at least one of these tags. */
  readonly tags: readonly string[];
  /** Only hosts of these allocations (in this order of preference); absent = every allocation. */
  readonly allocIds?: readonly string[];
  /** Per tag, the only allocations whose hosts count for it (an ALLOC cluster's scope); a tag not listed counts in every allocation. */
  readonly tagAllocIds?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Centicores. */
  readonly minCores?: number;
  readonly minMemoryKb?: number;
  readonly minGpus?: number;
  readonly minGpuMemoryKb?: number;
  /** Required host OS; null, "" or absent = any. */
  readonly os?: string | null;
  /** false: skip hosts in ALL thread mode (they take threadable frames only). Default true. */
  readonly threadable?: boolean;
  /** Fewest idle cores first (default true); false = most idle first. */
  readonly coreSaturation?: boolean;
  /** Least idle memory first (default false); false = most idle first. */
  readonly memorySaturation?: boolean;
}

/** A distinct host capability (totals), with how many stored hosts have it. */
export interface HostShape {
  readonly totalCores: number;
  readonly totalMemoryKb: number;
  readonly totalGpus: number;
  readonly totalGpuMemoryKb: number;
  readonly os: string;
  readonly threadMode: ThreadMode;
  readonly count: number;
}

export interface HostIndex {
  /** Hosts stored (bookable or not). */
  readonly size: number;
  readonly checkedOutCount: number;
  /** Adds or replaces a host; ignored (false) when `version` is not newer than the stored one. */
  upsert(host: Host, version: number): boolean;
  remove(hostId: string): boolean;
  get(hostId: string): IndexedHost | undefined;
  /** Visits bookable, not checked-out hosts that pass the query, in placement order; return true to stop. */
  visit(query: CandidateQuery, visitor: (host: IndexedHost) => boolean | void): void;
  find(query: CandidateQuery, limit?: number): IndexedHost[];
  /** Takes the first candidate out of the index (accept: an extra test); undefined when none. */
  checkout(query: CandidateQuery, accept?: (host: IndexedHost) => boolean): IndexedHost | undefined;
  /** Takes a given host out; version-conflict if it is out already or its version is not `expectedVersion`. */
  checkoutHost(hostId: string, expectedVersion?: number): IndexedHost;
  /** Puts a checked-out host back with its new state; `version` must be >= the stored one. */
  checkin(hostId: string, host: Host, version: number): void;
  /** Puts a checked-out host back unchanged. */
  release(hostId: string): void;
  /** Host shapes carrying one of `tags` (any lock state), for "could this ever fit" questions. */
  shapes(tags: readonly string[], allocIds?: readonly string[], tagAllocIds?: ReadonlyMap<string, ReadonlySet<string>>): HostShape[];
}

/** @internal mutable entry; the engine adjusts idle values through `adjust`. */
export interface HostEntry extends IndexedHost {
  host: Host;
  idleCores: number;
  idleMemoryKb: number;
  idleGpus: number;
  idleGpuMemoryKb: number;
  version: number;
  checkedOut: boolean;
  /** Insertion number: a stable order for ties. */
  readonly seq: number;
  bookable: boolean;
  coreKey: number;
  memKey: number;
  groups: Group[];
  stamp: number;
}

interface CoreBucket {
  count: number;
  maxMemKey: number;
  mem: (Set<HostEntry> | undefined)[];
}

interface Group {
  count: number;
  maxCoreKey: number;
  cores: (CoreBucket | undefined)[];
  shapes: Map<string, { shape: Omit<HostShape, "count">; count: number }>;
}

export interface InternalHostIndex extends HostIndex {
  /** @internal Sets a host's idle values (the engine's bookings) and re-buckets it. */
  adjust(entry: HostEntry, idleCores: number, idleMemoryKb: number, idleGpus: number, idleGpuMemoryKb: number): void;
  /** @internal */
  entry(hostId: string): HostEntry | undefined;
}

const threadModes: readonly ThreadMode[] = ["AUTO", "ALL", "VARIABLE"];

function checkHost(h: Host): void {
  const nonNegative = ["totalCores", "idleCores", "totalMemoryKb", "idleMemoryKb", "totalGpus", "idleGpus", "totalGpuMemoryKb", "idleGpuMemoryKb"] as const;
  for (const f of nonNegative) {
    const v = h[f];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw inconsistent("host", h.id, f, `must be a finite number >= 0 (got ${String(v)})`);
  }
  if (h.idleCores > h.totalCores) throw inconsistent("host", h.id, "idleCores", `${h.idleCores} exceeds totalCores ${h.totalCores}`);
  if (h.idleGpus > h.totalGpus) throw inconsistent("host", h.id, "idleGpus", `${h.idleGpus} exceeds totalGpus ${h.totalGpus}`);
  if (!threadModes.includes(h.threadMode)) throw inconsistent("host", h.id, "threadMode", `must be AUTO, ALL or VARIABLE (got ${String(h.threadMode)})`);
  if (!Array.isArray(h.tags)) throw inconsistent("host", h.id, "tags", "must be an array of tag names");
}

export function createHostIndex(options: HostIndexOptions = {}): HostIndex {
  return createInternalHostIndex(options);
}

/** @internal The engine's view (adds in-place adjustment of idle values). */
export function createInternalHostIndex(options: HostIndexOptions = {}): InternalHostIndex {
  const multiplier = options.coreMultiplier ?? 100;
  const memBucket = options.memoryBucketKb ?? 2 * 1024 * 1024;
  if (!Number.isInteger(multiplier) || multiplier < 1) throw new SchedulerCoreError("invalid-options", "coreMultiplier must be a positive integer", { entity: "options", field: "coreMultiplier" });
  if (!(memBucket > 0)) throw new SchedulerCoreError("invalid-options", "memoryBucketKb must be > 0", { entity: "options", field: "memoryBucketKb" });

  const entries = new Map<string, HostEntry>();
  const byTag = new Map<string, Map<string, Group>>();
  let seq = 0;
  let stamp = 0;
  let checkedOutCount = 0;

  const groupFor = (tag: string, allocId: string): Group => {
    let allocs = byTag.get(tag);
    if (!allocs) byTag.set(tag, (allocs = new Map()));
    let g = allocs.get(allocId);
    if (!g) allocs.set(allocId, (g = { count: 0, maxCoreKey: -1, cores: [], shapes: new Map() }));
    return g;
  };

  const shapeKey = (h: Host) => `${h.totalCores}|${h.totalMemoryKb}|${h.totalGpus}|${h.totalGpuMemoryKb}|${h.os}|${h.threadMode}`;

  const bucketIn = (e: HostEntry) => {
    for (const g of e.groups) {
      let cb = g.cores[e.coreKey];
      if (!cb) g.cores[e.coreKey] = cb = { count: 0, maxMemKey: -1, mem: [] };
      let set = cb.mem[e.memKey];
      if (!set) cb.mem[e.memKey] = set = new Set();
      set.add(e);
      cb.count++;
      g.count++;
      if (e.memKey > cb.maxMemKey) cb.maxMemKey = e.memKey;
      if (e.coreKey > g.maxCoreKey) g.maxCoreKey = e.coreKey;
    }
  };
  const bucketOut = (e: HostEntry) => {
    for (const g of e.groups) {
      const cb = g.cores[e.coreKey]!;
      cb.mem[e.memKey]!.delete(e);
      cb.count--;
      g.count--;
    }
  };
  const isIndexed = (e: HostEntry) => e.bookable && !e.checkedOut;
  const keys = (e: HostEntry) => {
    e.coreKey = Math.floor(e.idleCores / multiplier);
    e.memKey = Math.floor(e.idleMemoryKb / memBucket);
  };

  const attach = (e: HostEntry) => {
    const tags = [...new Set(e.host.tags)];
    e.groups = tags.map((t) => groupFor(t, e.host.allocId));
    const sk = shapeKey(e.host);
    for (const g of e.groups) {
      const s = g.shapes.get(sk);
      if (s) s.count++;
      else g.shapes.set(sk, { shape: { totalCores: e.host.totalCores, totalMemoryKb: e.host.totalMemoryKb, totalGpus: e.host.totalGpus, totalGpuMemoryKb: e.host.totalGpuMemoryKb, os: e.host.os, threadMode: e.host.threadMode }, count: 1 });
    }
  };
  const detach = (e: HostEntry) => {
    if (isIndexed(e)) bucketOut(e);
    const sk = shapeKey(e.host);
    for (const g of e.groups) {
      const s = g.shapes.get(sk)!;
      if (--s.count === 0) g.shapes.delete(sk);
    }
    e.groups = [];
  };

  const setRecord = (e: HostEntry, host: Host) => {
    e.host = host;
    e.idleCores = host.idleCores;
    e.idleMemoryKb = host.idleMemoryKb;
    e.idleGpus = host.idleGpus;
    e.idleGpuMemoryKb = host.idleGpuMemoryKb;
    e.bookable = host.lockState === "OPEN" && host.state === "UP";
    keys(e);
  };

  const upsert = (host: Host, version: number): boolean => {
    checkHost(host);
    const old = entries.get(host.id);
    if (old) {
      if (!(version > old.version)) return false;
      detach(old);
      setRecord(old, host);
      old.version = version;
      attach(old);
      if (isIndexed(old)) bucketIn(old);
      return true;
    }
    const e = { seq: seq++, version, checkedOut: false, groups: [], stamp: 0, coreKey: 0, memKey: 0 } as unknown as HostEntry;
    setRecord(e, host);
    entries.set(host.id, e);
    attach(e);
    if (isIndexed(e)) bucketIn(e);
    return true;
  };

  const remove = (hostId: string): boolean => {
    const e = entries.get(hostId);
    if (!e) return false;
    detach(e);
    if (e.checkedOut) checkedOutCount--;
    entries.delete(hostId);
    return true;
  };

  const visit = (q: CandidateQuery, visitor: (h: IndexedHost) => boolean | void): void => {
    const minCores = q.minCores ?? 0;
    const minMem = q.minMemoryKb ?? 0;
    const minGpus = q.minGpus ?? 0;
    const minGpuMem = q.minGpuMemoryKb ?? 0;
    const os = q.os ?? "";
    const threadable = q.threadable ?? true;
    const coreUp = q.coreSaturation ?? true;
    const memUp = q.memorySaturation ?? false;
    const minCoreKey = Math.max(0, Math.ceil(minCores / multiplier));
    const minMemKey = Math.max(0, Math.floor(minMem / memBucket));
    const my = ++stamp;
    const pass = (e: HostEntry): boolean => {
      if (e.stamp === my) return false;
      e.stamp = my;
      if (e.idleCores < minCores || e.idleMemoryKb < minMem || e.idleGpus < minGpus || e.idleGpuMemoryKb < minGpuMem) return false;
      if (os !== "" && e.host.os !== os) return false;
      if (!threadable && e.host.threadMode === "ALL") return false;
      return true;
    };
    const scanCore = (cb: CoreBucket): boolean => {
      if (cb.count === 0) return false;
      if (memUp) {
        for (let m = minMemKey; m <= cb.maxMemKey; m++) {
          const set = cb.mem[m];
          if (set) for (const e of set) if (pass(e) && visitor(e) === true) return true;
        }
      } else {
        for (let m = cb.maxMemKey; m >= minMemKey; m--) {
          const set = cb.mem[m];
          if (set) for (const e of set) if (pass(e) && visitor(e) === true) return true;
        }
      }
      return false;
    };
    const scanGroup = (g: Group): boolean => {
      if (g.count === 0) return false;
      if (coreUp) {
        for (let c = minCoreKey; c <= g.maxCoreKey; c++) {
          const cb = g.cores[c];
          if (cb && scanCore(cb)) return true;
        }
      } else {
        for (let c = g.maxCoreKey; c >= minCoreKey; c--) {
          const cb = g.cores[c];
          if (cb && scanCore(cb)) return true;
        }
      }
      return false;
    };
    for (const tag of q.tags) {
      const allocs = byTag.get(tag);
      if (!allocs) continue;
      const only = q.tagAllocIds?.get(tag);
      if (q.allocIds) {
        for (const a of q.allocIds) {
          if (only && !only.has(a)) continue;
          const g = allocs.get(a);
          if (g && scanGroup(g)) return;
        }
      } else {
        for (const [a, g] of allocs) if ((!only || only.has(a)) && scanGroup(g)) return;
      }
    }
  };

  const find = (q: CandidateQuery, limit = 1): IndexedHost[] => {
    const out: IndexedHost[] = [];
    if (limit <= 0) return out;
    visit(q, (h) => {
      out.push(h);
      return out.length >= limit;
    });
    return out;
  };

  const takeOut = (e: HostEntry) => {
    if (isIndexed(e)) bucketOut(e);
    e.checkedOut = true;
    checkedOutCount++;
  };

  const mustGet = (hostId: string): HostEntry => {
    const e = entries.get(hostId);
    if (!e) throw new SchedulerCoreError("unknown-host", `host ${hostId} is not in the index`, { entity: "host", id: hostId });
    return e;
  };

  const index: InternalHostIndex = {
    get size() {
      return entries.size;
    },
    get checkedOutCount() {
      return checkedOutCount;
    },
    upsert,
    remove,
    get: (id) => entries.get(id),
    entry: (id) => entries.get(id),
    visit,
    find,
    checkout(q, accept) {
      let found: HostEntry | undefined;
      visit(q, (h) => {
        if (accept && !accept(h)) return false;
        found = h as HostEntry;
        return true;
      });
      if (found) takeOut(found);
      return found;
    },
    checkoutHost(hostId, expectedVersion) {
      const e = mustGet(hostId);
      if (e.checkedOut) throw new SchedulerCoreError("version-conflict", `host ${hostId} is already checked out`, { entity: "host", id: hostId });
      if (expectedVersion !== undefined && e.version !== expectedVersion) {
        throw new SchedulerCoreError("version-conflict", `host ${hostId} is at version ${e.version}, not ${expectedVersion}`, { entity: "host", id: hostId, field: "version" });
      }
      takeOut(e);
      return e;
    },
    checkin(hostId, host, version) {
      const e = mustGet(hostId);
      if (!e.checkedOut) throw new SchedulerCoreError("version-conflict", `host ${hostId} is not checked out`, { entity: "host", id: hostId });
      if (host.id !== hostId) throw inconsistent("host", hostId, "id", `check-in record is for host ${host.id}`);
      if (version < e.version) throw new SchedulerCoreError("version-conflict", `check-in of host ${hostId} at version ${version} is older than the index's ${e.version}`, { entity: "host", id: hostId, field: "version" });
      checkHost(host);
      detach(e);
      e.checkedOut = false;
      checkedOutCount--;
      setRecord(e, host);
      e.version = version;
      attach(e);
      if (isIndexed(e)) bucketIn(e);
    },
    release(hostId) {
      const e = mustGet(hostId);
      if (!e.checkedOut) throw new SchedulerCoreError("version-conflict", `host ${hostId} is not checked out`, { entity: "host", id: hostId });
      e.checkedOut = false;
      checkedOutCount--;
      if (isIndexed(e)) bucketIn(e);
    },
    shapes(tags, allocIds, tagAllocIds) {
      const merged = new Map<string, { shape: Omit<HostShape, "count">; count: number }>();
      for (const tag of new Set(tags)) {
        const allocs = byTag.get(tag);
        if (!allocs) continue;
        const only = tagAllocIds?.get(tag);
        const ids = (allocIds ?? [...allocs.keys()]).filter((a) => !only || only.has(a));
        const groups = ids.map((a) => allocs.get(a)).filter((g): g is Group => g !== undefined);
        for (const g of groups) {
          for (const [k, s] of g.shapes) {
            const m = merged.get(k);
            // A host with two of the tags is counted in both groups; counts are an upper bound.
            if (m) m.count += s.count;
            else merged.set(k, { shape: s.shape, count: s.count });
          }
        }
      }
      return [...merged.values()].map((m) => ({ ...m.shape, count: m.count }));
    },
    adjust(e, idleCores, idleMemoryKb, idleGpus, idleGpuMemoryKb) {
      const indexed = isIndexed(e);
      if (indexed) bucketOut(e);
      e.idleCores = idleCores;
      e.idleMemoryKb = idleMemoryKb;
      e.idleGpus = idleGpus;
      e.idleGpuMemoryKb = idleGpuMemoryKb;
      keys(e);
      if (indexed) bucketIn(e);
    },
  };
  return index;
}
