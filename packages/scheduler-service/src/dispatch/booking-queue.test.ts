import type { BatchOutcome } from "../db/batch-booking.js";
import type { FrameBooking } from "../db/booking.js";
import { createBookingQueue } from "./booking-queue.js";

const b = (frameId: string, hostId = "h1"): FrameBooking => ({
  procId: `p-${frameId}`, frameId, frameVersion: 0, layerId: "l", jobId: "j", showId: "s", folderId: "f", deptId: "d", hostId, hostName: hostId,
  allocId: "a", coreUnits: 100, memoryKb: 1, gpus: 0, gpuMemoryKb: 0, memUsedKb: 0, updateStat: false,
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test("batches that arrive while a statement runs go together into the next one, each getting its own frames' outcome", async () => {
  const calls: string[][] = [];
  const gates: ReturnType<typeof deferred<void>>[] = [];
  const queue = createBookingQueue({
    maxFrames: 4,
    run: async (list) => {
      calls.push(list.map((x) => x.frameId));
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      // Every odd frame is refused; hosts report their new idle values.
      const booked = new Map(list.filter((_, i) => i % 2 === 0).map((x) => [x.frameId, 1] as const));
      const refused = new Map(list.filter((_, i) => i % 2 === 1).map((x) => [x.frameId, "host_exhausted" as const]));
      const hosts = new Map(list.map((x) => [x.hostId, { idleCoreUnits: 0, idleMemoryKb: 0, idleGpus: 0, idleGpuMemoryKb: 0 }] as const));
      return { kind: "ran", booked, refused, hosts } satisfies BatchOutcome;
    },
  });
  const first = queue.book([b("a")]);
  const second = queue.book([b("b", "h2"), b("c", "h2")]);
  const third = queue.book([b("d", "h3")]);
  const fourth = queue.book([b("e"), b("f")]); // would pass 4 frames with second and third: next statement
  expect(calls).toEqual([["a"]]);
  gates[0]!.resolve();
  const r1 = await first;
  expect(r1.kind === "ran" && [...r1.booked.keys()]).toEqual(["a"]);
  await new Promise((r) => setImmediate(r));
  expect(calls[1]).toEqual(["b", "c", "d"]);
  gates[1]!.resolve();
  const [r2, r3] = await Promise.all([second, third]);
  if (r2.kind !== "ran" || r3.kind !== "ran") throw new Error("aborted");
  expect([...r2.booked.keys()]).toEqual(["b"]);
  expect([...r2.refused]).toEqual([["c", "host_exhausted"]]);
  expect([...r2.hosts.keys()]).toEqual(["h2"]);
  expect([...r3.booked.keys()]).toEqual(["d"]); // the statement's third frame
  expect([...r3.hosts.keys()]).toEqual(["h3"]);
  await new Promise((r) => setImmediate(r));
  expect(calls[2]).toEqual(["e", "f"]);
  gates[2]!.resolve();
  await fourth;
  expect(queue.stats).toEqual({ statements: 3, batches: 4 });
});

test("an aborted statement or an error reaches every batch in it; a frame already in the statement waits for the next", async () => {
  const calls: string[][] = [];
  const gate = deferred<void>();
  const queue = createBookingQueue({
    maxFrames: 10,
    run: async (list) => {
      calls.push(list.map((x) => x.frameId));
      if (calls.length === 1) await gate.promise;
      if (calls.length === 3) throw new Error("connection lost");
      return { kind: "aborted", reason: "limit_subscription" } satisfies BatchOutcome;
    },
  });
  const head = queue.book([b("x")]);
  const a = queue.book([b("a")]);
  const dup = queue.book([b("a"), b("z")]);
  const c = queue.book([b("c")]);
  gate.resolve();
  await head;
  expect(await a).toEqual({ kind: "aborted", reason: "limit_subscription" });
  expect(await c).toEqual({ kind: "aborted", reason: "limit_subscription" });
  expect(calls[1]).toEqual(["a", "c"]);
  await expect(dup).rejects.toThrow("connection lost");
  expect(calls[2]).toEqual(["a", "z"]);
});
