// Which physical cores each running frame holds, and how many are locked: RQD's core reservation
// manager. Pure: the topology and the clock are inputs, so it is tested without a machine.
import type { PhysicalCore } from "@opencue-ts/host-monitor";

export class CoreReservationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CoreReservationError";
  }
}

export interface Booking {
  resourceId: string;
  cores: PhysicalCore[];
  /** Every hardware thread of the booked cores, sorted: the frame's CPU list (taskset, CUE_THREADS). */
  threadIds: number[];
  bookedAt: number;
}

export interface CoreDetailCounts {
  totalCores: number;
  idleCores: number;
  lockedCores: number;
  bookedCores: number;
}

export interface CoreReservations {
  /** Books n whole physical cores, filling the socket with the most free cores first. Throws when fewer are free. */
  reserve(n: number, resourceId: string): Booking;
  /** Re-books exact threads (a frame re-adopted after a restart). Unknown thread ids throw. */
  reserveThreads(threadIds: number[], resourceId: string): Booking;
  release(resourceId: string): Booking;
  booking(resourceId: string): Booking | undefined;
  lock(n: number): number;
  lockAll(): number;
  unlock(n: number): number;
  unlockAll(): number;
  /** Physical cores free for a new frame: neither booked nor locked. */
  available(): number;
  /** CoreDetail in core units (× multiplier). */
  report(multiplier: number): CoreDetailCounts;
  /** Drops bookings of resources that are not running and are older than the grace period; returns them. */
  sanitize(active: ReadonlySet<string>, graceMs?: number): Booking[];
}

const key = (c: Pick<PhysicalCore, "socket" | "coreId">) => `${c.socket}_${c.coreId}`;

export function createCoreReservations(cores: readonly PhysicalCore[], now: () => number = Date.now): CoreReservations {
  const total = cores.length;
  const byThread = new Map<number, PhysicalCore>();
  for (const c of cores) for (const t of c.threadIds) byThread.set(t, c);
  const bookings = new Map<string, Booking>();
  const booked = new Set<string>();
  let locked = 0;

  const make = (resourceId: string, taken: PhysicalCore[]): Booking => {
    const b: Booking = { resourceId, cores: taken, threadIds: taken.flatMap((c) => c.threadIds).sort((a, z) => a - z), bookedAt: now() };
    bookings.set(resourceId, b);
    for (const c of taken) booked.add(key(c));
    return b;
  };
  const available = () => Math.max(0, Math.min(total - booked.size, total - locked));

  return {
    reserve(n, resourceId) {
      if (!Number.isInteger(n) || n <= 0) throw new CoreReservationError(`cannot reserve ${n} cores`);
      if (bookings.has(resourceId)) throw new CoreReservationError(`resource ${resourceId} already holds cores`);
      if (n > available()) throw new CoreReservationError(`not enough free cores: ${n} requested, ${available()} free (${booked.size} booked, ${locked} locked of ${total})`);
      const free = new Map<number, PhysicalCore[]>();
      for (const c of cores) if (!booked.has(key(c))) free.set(c.socket, [...(free.get(c.socket) ?? []), c]);
      // Fewest sockets spanned: the socket with the most free cores first; lower socket id on ties.
      const sockets = [...free.entries()].sort((a, z) => z[1].length - a[1].length || a[0] - z[0]);
      const taken: PhysicalCore[] = [];
      for (const [, list] of sockets) for (const c of list) if (taken.length < n) taken.push(c);
      return make(resourceId, taken);
    },
    reserveThreads(threadIds, resourceId) {
      const unknown = threadIds.filter((t) => !byThread.has(t));
      if (unknown.length > 0) throw new CoreReservationError(`unknown thread ids: ${unknown.join(", ")}`);
      const taken = [...new Set(threadIds.map((t) => byThread.get(t)!))];
      return make(resourceId, taken);
    },
    release(resourceId) {
      const b = bookings.get(resourceId);
      if (!b) throw new CoreReservationError(`resource ${resourceId} holds no cores`);
      bookings.delete(resourceId);
      for (const c of b.cores) booked.delete(key(c));
      return b;
    },
    booking: (resourceId) => bookings.get(resourceId),
    lock(n) {
      const amount = Math.max(0, Math.min(n, total - locked));
      locked += amount;
      return amount;
    },
    lockAll() {
      const amount = total - locked;
      locked = total;
      return amount;
    },
    unlock(n) {
      const amount = Math.max(0, Math.min(n, locked));
      locked -= amount;
      return amount;
    },
    unlockAll() {
      const amount = locked;
      locked = 0;
      return amount;
    },
    available,
    report(multiplier) {
      return { totalCores: total * multiplier, idleCores: available() * multiplier, lockedCores: locked * multiplier, bookedCores: booked.size * multiplier };
    },
    sanitize(active, graceMs = 60_000) {
      const dropped: Booking[] = [];
      for (const b of [...bookings.values()]) {
        if (!active.has(b.resourceId) && now() - b.bookedAt > graceMs) dropped.push(this.release(b.resourceId));
      }
      return dropped;
    },
  };
}
