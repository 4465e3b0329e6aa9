import type { DispatchHost } from "../db/hosts.js";
import { createHostCache } from "./host-cache.js";

const host = (id: string, cores: number): DispatchHost => ({
  id, name: id, os: "linux", allocId: "a", allocName: "a", threadMode: 0, totalCoreUnits: 800, totalMemoryKb: 1000, totalGpus: 0,
  totalGpuMemoryKb: 0, tags: ["t"], idleCoreUnits: cores, idleMemoryKb: 1000, idleGpus: 0, idleGpuMemoryKb: 0,
});
const room = (cores: number) => ({ idleCoreUnits: cores, idleMemoryKb: 100, idleGpus: 0, idleGpuMemoryKb: 0 });

test("a cluster's list is kept for the refresh interval, then (or once invalidated) read again", () => {
  let t = 0;
  const cache = createHostCache({ refreshMs: 10_000, now: () => t });
  expect(cache.get("c1")).toBeUndefined();
  cache.put("c1", [host("h1", 800)], 0);
  t = 9_999;
  expect(cache.get("c1")?.map((h) => h.id)).toEqual(["h1"]);
  t = 10_000;
  expect(cache.get("c1")).toBeUndefined();
  cache.put("c1", [host("h1", 800)], t);
  cache.invalidate("c1");
  expect(cache.get("c1")).toBeUndefined();
});

test("idle values are shared by the clusters that have a host, and a read never replaces a newer booking", () => {
  let t = 0;
  const cache = createHostCache({ refreshMs: 60_000, now: () => t });
  cache.put("alloc", [host("h1", 800), host("h2", 800)], 0);
  cache.put("manual", [host("h1", 800)], 0);
  t = 5;
  cache.booked("h1", room(300)); // a booking's result, at t = 5
  expect(cache.get("manual")![0]!.idleCoreUnits).toBe(300);
  expect(cache.get("alloc")!.map((h) => h.idleCoreUnits)).toEqual([300, 800]);
  // A read that started before the booking's result arrived may not include it: the booking wins.
  cache.put("manual", [host("h1", 800)], 4);
  expect(cache.get("manual")![0]!.idleCoreUnits).toBe(300);
  // A read started after it is newer.
  cache.put("manual", [host("h1", 100)], 6);
  expect(cache.get("alloc")![0]!.idleCoreUnits).toBe(100);
});

test("held room is hidden from every pass until released; a refused host counts as full until read again", () => {
  let t = 0;
  const cache = createHostCache({ refreshMs: 60_000, now: () => t });
  cache.put("alloc", [host("h1", 800)], 0);
  cache.put("manual", [host("h1", 800)], 0);
  cache.hold("h1", room(200));
  cache.hold("h1", room(300));
  expect(cache.get("manual")![0]!.idleCoreUnits).toBe(300);
  cache.release("h1", room(200));
  expect(cache.get("alloc")![0]!.idleCoreUnits).toBe(500);
  cache.release("h1", room(300));
  const list = cache.get("alloc")!;
  expect(list[0]!.idleCoreUnits).toBe(800);
  cache.hold("h1", room(100)); // another pass plans while this one read: update() shows it
  cache.update(list);
  expect(list[0]!.idleCoreUnits).toBe(700);
  cache.release("h1", room(100));
  t = 1;
  cache.refused("h1");
  expect(cache.get("manual")![0]!.idleCoreUnits).toBe(0);
  cache.put("manual", [host("h1", 400)], 2);
  expect(cache.get("alloc")![0]!.idleCoreUnits).toBe(400);
  // invalidateHost: every cluster with the host reads again; clear() forgets all lists.
  cache.invalidateHost("h1");
  expect(cache.get("alloc")).toBeUndefined();
  expect(cache.get("manual")).toBeUndefined();
  cache.put("alloc", [host("h1", 800)], 3);
  cache.clear();
  expect(cache.get("alloc")).toBeUndefined();
});
