// The hosts of each cluster, kept between passes (reference §1.5: the Rust scheduler's host cache,
// refreshed every host_cache.monitoring_interval). Reading a cluster's hosts costs a query of a few
// hundred rows per pass, and between two passes the only changes that matter are mostly this
// process's own bookings, whose results it already has. So a cluster's host list is read again only
// when it is older than the refresh interval or when the last pass left frames waiting for lack of a
// host (hosts may have been freed since). A host whose booking was refused (its room taken by another
// pass, instance or Cuebot, or it was locked) counts as full until it is read again or booked here.
//
// Idle values are kept once per host for every cluster that has it (hosts carry several tags, so
// clusters overlap), each stamped with the time it is valid as of: a read started before a booking's
// result arrived may not include that booking, so it never replaces the newer value. What a pass has
// planned on a host and not yet booked is held against it, so a concurrent pass of an overlapping
// cluster does not plan the same room (the booking would refuse one of them: host_exhausted).
// Nothing here is trusted for correctness: every booking re-checks host room, lock state and ping
// under the host's lock; a stale entry costs a refused booking, never a double booking.
import type { DispatchHost } from "../db/hosts.js";

export interface HostIdle {
  readonly idleCoreUnits: number;
  readonly idleMemoryKb: number;
  readonly idleGpus: number;
  readonly idleGpuMemoryKb: number;
}

export interface HostCacheOptions {
  /** How long a cluster's list is used before it is read again (host_cache.monitoring_interval, ms). */
  readonly refreshMs: number;
  /** Monotonic milliseconds (default performance.now). */
  readonly now?: () => number;
}

export interface HostCache {
  /**
   * The cluster's hosts with the newest idle values known here, or undefined when they must be read
   * (never read, older than the refresh interval, or invalidated). The list is the cache's own: the
   * caller reads it during its pass and records changes through booked().
   */
  get(clusterKey: string): readonly DispatchHost[] | undefined;
  /** Sets the hosts' idle values to the newest known here, less what is held (just before planning). */
  update(hosts: readonly DispatchHost[]): void;
  /** Stores a read of the cluster's hosts that started at `readStartedAt` (see now()); returns the list to use. */
  put(clusterKey: string, hosts: readonly DispatchHost[], readStartedAt: number): readonly DispatchHost[];
  /** A host's idle values right after a booking committed on it. */
  booked(hostId: string, idle: HostIdle): void;
  /** Room planned on a host and not yet booked: other passes see the host without it. */
  hold(hostId: string, amount: HostIdle): void;
  /** Ends a hold (the booking committed, was refused or was never tried). */
  release(hostId: string, amount: HostIdle): void;
  /** Read the cluster's hosts again at its next pass. */
  invalidate(clusterKey: string): void;
  /** A booking on the host was refused (no room, locked): it counts as full until read again or booked. */
  refused(hostId: string): void;
  /** The host's room changed in a way only a read shows (a booking undone): every cluster that has it reads again. */
  invalidateHost(hostId: string): void;
  /** Forgets everything (e.g. after the clusters were reloaded). */
  clear(): void;
  now(): number;
}

interface Known extends HostIdle {
  readonly at: number;
}

interface Entry {
  readonly hosts: DispatchHost[];
  readonly fetchedAt: number;
  stale: boolean;
}

export function createHostCache(options: HostCacheOptions): HostCache {
  const now = options.now ?? (() => performance.now());
  const known = new Map<string, Known>();
  const entries = new Map<string, Entry>();
  /** host id -> keys of the clusters whose list has it. */
  const clustersOf = new Map<string, Set<string>>();
  const held = new Map<string, { cores: number; mem: number; gpus: number; gpuMem: number; n: number }>();

  function overlay(h: DispatchHost, k: HostIdle): void {
    const x = held.get(h.id);
    h.idleCoreUnits = Math.max(0, k.idleCoreUnits - (x?.cores ?? 0));
    h.idleMemoryKb = Math.max(0, k.idleMemoryKb - (x?.mem ?? 0));
    h.idleGpus = Math.max(0, k.idleGpus - (x?.gpus ?? 0));
    h.idleGpuMemoryKb = Math.max(0, k.idleGpuMemoryKb - (x?.gpuMem ?? 0));
  }

  function update(hosts: readonly DispatchHost[]): void {
    for (const h of hosts) {
      const k = known.get(h.id);
      if (k) overlay(h, k);
    }
  }

  function drop(clusterKey: string): void {
    const e = entries.get(clusterKey);
    if (!e) return;
    entries.delete(clusterKey);
    for (const h of e.hosts) {
      const set = clustersOf.get(h.id);
      set?.delete(clusterKey);
      if (set && set.size === 0) {
        clustersOf.delete(h.id);
        known.delete(h.id);
      }
    }
  }

  return {
    now,
    update,
    get(clusterKey) {
      const e = entries.get(clusterKey);
      if (!e || e.stale || now() - e.fetchedAt >= options.refreshMs) return undefined;
      update(e.hosts);
      return e.hosts;
    },
    put(clusterKey, hosts, readStartedAt) {
      drop(clusterKey);
      const list = hosts.map((h) => ({ ...h }));
      for (const h of list) {
        const k = known.get(h.id);
        if (k && k.at > readStartedAt) overlay(h, k);
        else known.set(h.id, { idleCoreUnits: h.idleCoreUnits, idleMemoryKb: h.idleMemoryKb, idleGpus: h.idleGpus, idleGpuMemoryKb: h.idleGpuMemoryKb, at: readStartedAt });
        let set = clustersOf.get(h.id);
        if (!set) clustersOf.set(h.id, (set = new Set()));
        set.add(clusterKey);
      }
      entries.set(clusterKey, { hosts: list, fetchedAt: readStartedAt, stale: false });
      return list;
    },
    booked(hostId, idle) {
      // Only hosts some cluster lists are worth keeping; the others are read fresh anyway.
      if (clustersOf.has(hostId)) known.set(hostId, { ...idle, at: now() });
    },
    invalidate(clusterKey) {
      const e = entries.get(clusterKey);
      if (e) e.stale = true;
    },
    hold(hostId, a) {
      const x = held.get(hostId);
      if (x) {
        x.cores += a.idleCoreUnits;
        x.mem += a.idleMemoryKb;
        x.gpus += a.idleGpus;
        x.gpuMem += a.idleGpuMemoryKb;
        x.n++;
      } else held.set(hostId, { cores: a.idleCoreUnits, mem: a.idleMemoryKb, gpus: a.idleGpus, gpuMem: a.idleGpuMemoryKb, n: 1 });
    },
    release(hostId, a) {
      const x = held.get(hostId);
      if (!x) return;
      if (--x.n <= 0) {
        held.delete(hostId);
        return;
      }
      x.cores -= a.idleCoreUnits;
      x.mem -= a.idleMemoryKb;
      x.gpus -= a.idleGpus;
      x.gpuMem -= a.idleGpuMemoryKb;
    },
    refused(hostId) {
      if (clustersOf.has(hostId)) known.set(hostId, { idleCoreUnits: 0, idleMemoryKb: 0, idleGpus: 0, idleGpuMemoryKb: 0, at: now() });
    },
    invalidateHost(hostId) {
      for (const key of clustersOf.get(hostId) ?? []) {
        const e = entries.get(key);
        if (e) e.stale = true;
      }
    },
    clear() {
      // Holds stay: they end with their bookings.
      entries.clear();
      known.clear();
      clustersOf.clear();
    },
  };
}
