import type { PhysicalCore } from "@opencue-ts/host-monitor";
import { createCoreReservations, CoreReservationError } from "./core-reservations.js";

// 2 sockets × 2 cores × 2 threads: threads 0..7, as the reference fixture.
const topo: PhysicalCore[] = [
  { socket: 0, coreId: 0, threadIds: [0, 4] },
  { socket: 0, coreId: 1, threadIds: [1, 5] },
  { socket: 1, coreId: 0, threadIds: [2, 6] },
  { socket: 1, coreId: 1, threadIds: [3, 7] },
];

describe("core reservations", () => {
  test("reserving 2 cores returns their 4 threads, on one socket", () => {
    const r = createCoreReservations(topo);
    const b = r.reserve(2, "a");
    expect(b.threadIds).toEqual([0, 1, 4, 5]);
    expect(new Set(b.cores.map((c) => c.socket)).size).toBe(1);
  });
  test("the socket with the most free cores is filled first", () => {
    const r = createCoreReservations(topo);
    r.reserve(1, "a");
    expect(r.reserve(2, "b").cores.map((c) => c.socket)).toEqual([1, 1]);
  });
  test("too many, or the host exhausted, is refused and books nothing", () => {
    const r = createCoreReservations(topo);
    expect(() => r.reserve(10, "x")).toThrow(CoreReservationError);
    r.reserve(2, "a");
    r.reserve(2, "b");
    expect(() => r.reserve(1, "c")).toThrow(/not enough free cores: 1 requested, 0 free/);
    expect(r.release("a").cores).toHaveLength(2);
    expect(() => r.release("nope")).toThrow(/holds no cores/);
    expect(r.reserve(2, "c").cores).toHaveLength(2);
  });
  test("lock and unlock amounts", () => {
    const r = createCoreReservations(topo);
    expect(r.lock(2)).toBe(2);
    expect(r.lock(1)).toBe(1);
    expect(r.lock(5)).toBe(1);
    expect(r.unlock(3)).toBe(3);
    expect(r.unlock(2)).toBe(1);
    expect(r.unlock(5)).toBe(0);
    expect(r.lockAll()).toBe(4);
    expect(r.unlockAll()).toBe(4);
  });
  test("CoreDetail: idle is min(not booked, not locked), in core units", () => {
    const r = createCoreReservations(topo);
    expect(r.report(2)).toEqual({ totalCores: 8, idleCores: 8, lockedCores: 0, bookedCores: 0 });
    r.reserve(2, "a");
    expect(r.report(2)).toEqual({ totalCores: 8, idleCores: 4, lockedCores: 0, bookedCores: 4 });
    r.lock(1);
    expect(r.report(2)).toEqual({ totalCores: 8, idleCores: 4, lockedCores: 2, bookedCores: 4 });
    r.lock(2);
    expect(r.report(100)).toEqual({ totalCores: 400, idleCores: 100, lockedCores: 300, bookedCores: 200 });
    expect(() => r.reserve(2, "b")).toThrow(CoreReservationError);
  });
  test("re-booking by thread ids after a restart", () => {
    const r = createCoreReservations(topo);
    expect(r.reserveThreads([2, 6, 3], "a").cores).toHaveLength(2);
    expect(() => r.reserveThreads([9], "b")).toThrow(/unknown thread ids: 9/);
    expect(r.available()).toBe(2);
  });
  test("sanitize drops only old bookings of frames no longer running", () => {
    let t = 0;
    const r = createCoreReservations(topo, () => t);
    r.reserve(1, "running");
    r.reserve(1, "gone-old");
    t = 30_000;
    r.reserve(1, "gone-new");
    t = 70_000;
    expect(r.sanitize(new Set(["running"])).map((b) => b.resourceId)).toEqual(["gone-old"]);
    expect(r.booking("gone-new")).toBeDefined();
    expect(r.booking("running")).toBeDefined();
  });
});
