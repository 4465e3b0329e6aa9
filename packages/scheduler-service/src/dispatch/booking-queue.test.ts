import type { BatchOutcome } from "../db/batch-booking.js";
import type { FrameBooking } from "../db/booking.js";
import { cellOf, createBookingQueue, SPLIT_MIN } from "./booking-queue.js";

const b = (frameId: string, hostId = "h1"): FrameBooking => ({
  procId: `p-${frameId}`, frameId, frameVersion: 0, layerId: "l", jobId: "j", showId: "s", folderId: "f", deptId: "d", hostId, hostName: hostId,
  allocId: "a", coreUnits: 100, memoryKb: 1, gpus: 0, gpuMemoryKb: 0, memUsedKb: 0, updateStat: false,
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const ran = (list: readonly FrameBooking[], refuse: (i: number) => boolean = () => false): Extract<BatchOutcome, { kind: "ran" }> => ({
  kind: "ran",
  booked: new Map(list.filter((_, i) => !refuse(i)).map((x) => [x.frameId, 1] as const)),
  refused: new Map(list.filter((_, i) => refuse(i)).map((x) => [x.frameId, "host_exhausted" as const])),
  hosts: new Map(list.map((x) => [x.hostId, { idleCoreUnits: 0, idleMemoryKb: 0, idleGpus: 0, idleGpuMemoryKb: 0 }] as const)),
});
const tick = () => new Promise((r) => setImmediate(r));

test("one statement at a time: frames that arrive while it runs go together into the next, in arrival order, each batch getting its own frames' outcome", async () => {
  const calls: string[][] = [];
  const gates: ReturnType<typeof deferred<void>>[] = [];
  const queue = createBookingQueue({
    maxFrames: 4,
    statements: 1,
    run: async (list) => {
      calls.push(list.map((x) => x.frameId));
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return ran(list, (i) => i % 2 === 1); // every odd frame of a statement is refused
    },
  });
  const first = queue.book([b("a")]);
  const second = queue.book([b("b", "h2"), b("c", "h2")]);
  const third = queue.book([b("d", "h3")]);
  const fourth = queue.book([b("e"), b("f")]); // e fits with second and third, f goes to the next statement
  expect(calls).toEqual([["a"]]);
  gates[0]!.resolve();
  const r1 = await first;
  expect(r1.kind === "ran" && [...r1.booked.keys()]).toEqual(["a"]);
  await tick();
  expect(calls[1]).toEqual(["b", "c", "d", "e"]);
  gates[1]!.resolve();
  const [r2, r3] = await Promise.all([second, third]);
  if (r2.kind !== "ran" || r3.kind !== "ran") throw new Error("aborted");
  expect([...r2.booked.keys()]).toEqual(["b"]);
  expect([...r2.refused]).toEqual([["c", "host_exhausted"]]);
  expect([...r2.hosts.keys()]).toEqual(["h2"]);
  expect([...r3.booked.keys()]).toEqual(["d"]); // the statement's third frame
  expect([...r3.hosts.keys()]).toEqual(["h3"]);
  await tick();
  expect(calls[2]).toEqual(["f"]);
  gates[2]!.resolve();
  const r4 = await fourth; // e refused in statement 2 (fourth frame), f booked in statement 3
  if (r4.kind !== "ran") throw new Error("aborted");
  expect([...r4.booked.keys()]).toEqual(["f"]);
  expect([...r4.refused]).toEqual([["e", "host_exhausted"]]);
  expect(queue.stats).toMatchObject({ statements: 3, batches: 5, rounds: 3 });
});

test("an aborted statement or an error reaches every batch in it; a frame already in the statement waits for the next", async () => {
  const calls: string[][] = [];
  const gate = deferred<void>();
  const queue = createBookingQueue({
    maxFrames: 10,
    run: async (list) => {
      calls.push(list.map((x) => x.frameId));
      if (calls.length === 1) await gate.promise;
      if (calls.length >= 3) throw new Error("connection lost");
      return { kind: "aborted", reason: "limit_subscription" } satisfies BatchOutcome;
    },
  });
  const head = queue.book([b("x")]);
  const a = queue.book([b("a")]);
  const dup = queue.book([b("a"), b("z")]);
  const c = queue.book([b("c")]);
  const lost = queue.book([b("a", "h9")]);
  gate.resolve();
  await head;
  expect(await a).toEqual({ kind: "aborted", reason: "limit_subscription" });
  expect(await c).toEqual({ kind: "aborted", reason: "limit_subscription" });
  expect(calls[1]).toEqual(["a", "z", "c"]);
  // dup: z aborted in statement 2, a failed in statement 3; nothing ran, so the abort is its outcome.
  expect(await dup).toEqual({ kind: "aborted", reason: "limit_subscription" });
  expect(calls[2]).toEqual(["a"]);
  await expect(lost).rejects.toThrow("connection lost");
  expect(calls[3]).toEqual(["a"]);
});

test("a batch split over statements of which some ran gets the others' frames refused as statement_aborted", async () => {
  let n = 0;
  const queue = createBookingQueue({
    maxFrames: 2,
    run: async (list) => {
      n++;
      await tick();
      if (n === 2) return { kind: "aborted", reason: "limit_folder" };
      if (n === 3) throw new Error("connection lost");
      return ran(list);
    },
  });
  const r = await queue.book([b("a"), b("b"), b("c"), b("d"), b("e", "h2"), b("f", "h2"), b("g", "h3")]);
  if (r.kind !== "ran") throw new Error("aborted");
  expect([...r.booked.keys()].sort()).toEqual(["a", "b", "g"]);
  expect([...r.refused].sort()).toEqual([["c", "statement_aborted"], ["d", "statement_aborted"], ["e", "statement_aborted"], ["f", "statement_aborted"]]);
  expect([...r.hosts.keys()].sort()).toEqual(["h1", "h3"]);
});

test("several statements at once never share a job or a host, take turns so that no cell waits, and book every frame once", async () => {
  const inFlight = new Set<readonly FrameBooking[]>();
  const seen = new Map<string, number>();
  let most = 0;
  const queue = createBookingQueue({
    maxFrames: 50,
    statements: 2,
    run: async (list) => {
      for (const other of inFlight) {
        const jobs = new Set(other.map((x) => x.jobId)), hosts = new Set(other.map((x) => x.hostId));
        expect(list.some((x) => jobs.has(x.jobId) || hosts.has(x.hostId))).toBe(false);
      }
      inFlight.add(list);
      most = Math.max(most, inFlight.size);
      for (const x of list) seen.set(x.frameId, (seen.get(x.frameId) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 1 + (list.length % 3)));
      inFlight.delete(list);
      return ran(list);
    },
  });
  // A deterministic spread of 600 frames over 30 jobs and 80 hosts, in 12 batches, half of them
  // arriving while the first statements run.
  let x = 12345;
  const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const batch = (k: number) => Array.from({ length: 50 }, (_, i): FrameBooking => ({ ...b(`f${k}-${i}`, `h${rnd(80)}`), jobId: `j${rnd(30)}` }));
  const early = Array.from({ length: 6 }, (_, k) => queue.book(batch(k)));
  await new Promise((r) => setTimeout(r, 2));
  const late = Array.from({ length: 6 }, (_, k) => queue.book(batch(6 + k)));
  const outcomes = await Promise.all([...early, ...late]);
  for (const o of outcomes) expect(o.kind === "ran" && o.booked.size).toBe(50);
  expect(seen.size).toBe(600);
  expect([...seen.values()].every((v) => v === 1)).toBe(true);
  expect(most).toBe(2);
  expect(queue.stats.statements).toBeGreaterThan(queue.stats.rounds); // rounds of two
  expect(queue.stats.statementMs).toBeGreaterThan(queue.stats.busyMs); // side by side
});

test("with few frames waiting and nothing running, one statement takes them all", async () => {
  const calls: string[][] = [];
  const queue = createBookingQueue({ maxFrames: 512, statements: 2, run: async (list) => (calls.push(list.map((x) => x.frameId)), ran(list)) });
  const list = Array.from({ length: SPLIT_MIN - 1 }, (_, i): FrameBooking => ({ ...b(`f${i}`, `h${i}`), jobId: `j${i}` }));
  const r = await queue.book(list);
  expect(r.kind === "ran" && r.booked.size).toBe(SPLIT_MIN - 1);
  expect(calls).toEqual([list.map((x) => x.frameId)]);
});

test("a batch resolving after another batch booked on one of its hosts does not report that host's older idle values", async () => {
  // Names by cell (two statements): jobs of class 0 and 1, hosts of class 0.
  const job = (c: number) => Array.from({ length: 100 }, (_, i) => `j${i}`).find((j) => cellOf({ jobId: j, hostId: "x" }, 2) >= 2 * c && cellOf({ jobId: j, hostId: "x" }, 2) < 2 * c + 2)!;
  const hosts = Array.from({ length: 100 }, (_, i) => `h${i}`).filter((h) => cellOf({ jobId: job(0), hostId: h }, 2) % 2 === 0);
  const [h, x, y] = hosts as [string, string, string];
  let idle = 100;
  const calls: string[][] = [];
  const queue = createBookingQueue({
    maxFrames: 1,
    statements: 2,
    splitMin: 1,
    run: async (list) => {
      calls.push(list.map((f) => f.frameId));
      await tick();
      const o = ran(list);
      return { ...o, hosts: new Map([...o.hosts.keys()].map((id) => [id, { idleCoreUnits: --idle, idleMemoryKb: 0, idleGpus: 0, idleGpuMemoryKb: 0 }] as const)) };
    },
  });
  const f = (id: string, jobId: string, hostId: string): FrameBooking => ({ ...b(id, hostId), jobId });
  // a1 (cell 0,0) books first; a2 and a3 (cell 1,0) one per round, so b1 (cell 0,0, host h) books before a3.
  const a = queue.book([f("a1", job(0), h), f("a2", job(1), x), f("a3", job(1), y)]);
  const bOutcome = queue.book([f("b1", job(0), h)]);
  const [ra, rb] = await Promise.all([a, bOutcome]);
  expect(calls).toEqual([["a1"], ["a2"], ["b1"], ["a3"]]);
  if (ra.kind !== "ran" || rb.kind !== "ran") throw new Error("aborted");
  expect(ra.booked.size).toBe(3);
  expect(rb.hosts.get(h)?.idleCoreUnits).toBe(97);
  expect(ra.hosts.has(h)).toBe(false); // a1's value (99) is older than b1's
  expect([...ra.hosts.keys()].sort()).toEqual([x, y].sort());
});
