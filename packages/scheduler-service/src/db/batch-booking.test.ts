// bookFrames on a real PostgreSQL: a batch over several hosts writes exactly what the same bookings one
// by one would (the §6.2 audit holds); a frame that fails a guard is refused with its reason and the
// others are booked; a write that does not match its check aborts the batch and leaves nothing.
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { createFarm, createTestDatabase, gibToKb, type SubmittedJob, type TestDatabase } from "@opencue-ts/cuebot-db";
import { bookFrames } from "./batch-booking.js";
import { bookFrame, type FrameBooking } from "./booking.js";
import { auditBookings as audit } from "./audit.js";

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.destroy());

interface Seeded { job: SubmittedJob; limited: SubmittedJob; hosts: { id: string; name: string; allocId: string }[] }

async function seed(burstCores = 100): Promise<Seeded> {
  const farm = createFarm(t.db);
  const facility = await farm.createFacility("local");
  const show = await farm.createShow({ name: "batch", schedulerManaged: true });
  const alloc = await farm.createAlloc({ facility, name: "local.general" });
  await farm.createSubscription({ show, alloc, size: burstCores, burst: burstCores });
  const hosts = await farm.registerHosts([0, 1, 2].map((i) => ({ name: `b${i}`, alloc, cores: 8, memoryKb: gibToKb(32) })));
  await farm.createLimit({ name: "lic", maxValue: 10 });
  const job = await farm.submitJob({ show, facility, name: "batch-job", maxCores: 1000, layers: [{ name: "r", range: "1-12", minCores: 2, minMemoryKb: gibToKb(2) }, { name: "c", range: "1-4", minCores: 1, minMemoryKb: gibToKb(1) }] });
  const limited = await farm.submitJob({ show, facility, name: "batch-lim", maxCores: 1000, layers: [{ name: "l", range: "1-2", minCores: 1, minMemoryKb: gibToKb(1), limits: ["lic"] }] });
  return { job, limited, hosts };
}

async function bookingsFor(s: Seeded, job: SubmittedJob, layer: string, count: number, hostOf: (i: number) => number, cores: number): Promise<FrameBooking[]> {
  const frames = await t.db.selectFrom("frame").select(["pk_frame", "int_version"]).where("pk_layer", "=", job.layers[layer]!.id).orderBy("int_dispatch_order").limit(count).execute();
  return frames.map((f, i) => {
    const h = s.hosts[hostOf(i)]!;
    return {
      procId: randomUUID(), frameId: f.pk_frame, frameVersion: f.int_version ?? 0, layerId: job.layers[layer]!.id, jobId: job.id, showId: job.showId,
      folderId: job.folderId, deptId: job.deptId, hostId: h.id, hostName: h.name, allocId: h.allocId,
      coreUnits: cores * 100, memoryKb: gibToKb(2), gpus: 0, gpuMemoryKb: 0, memUsedKb: 256_000, updateStat: true,
    };
  });
}

async function snapshot() {
  const r = await sql<Record<string, unknown>>`
    SELECT (SELECT json_agg(json_build_array(str_name, int_cores_idle, int_mem_idle) ORDER BY str_name) FROM host) AS hosts,
           (SELECT json_agg(int_mem_free ORDER BY pk_host) FROM host_stat) AS stat,
           (SELECT SUM(int_cores) FROM subscription) AS sub, (SELECT SUM(int_cores) FROM job_resource) AS job,
           (SELECT SUM(int_cores) FROM layer_resource) AS layer, (SELECT SUM(int_cores) FROM folder_resource) AS folder,
           (SELECT SUM(int_cores) FROM point) AS point, (SELECT count(*)::int FROM proc) AS procs,
           (SELECT count(*)::int FROM frame WHERE str_state = 'RUNNING') AS running,
           (SELECT SUM(int_waiting_count) FROM job_stat) AS waiting`.execute(t.db);
  return r.rows[0]!;
}

function booked(r: Awaited<ReturnType<typeof bookFrames>>) {
  if (r.kind !== "ran") throw new Error(`batch aborted: ${r.reason}`);
  return r;
}

test("a batch over three hosts and two layers books every frame, with the counters summed per row", async () => {
  const s = await seed();
  const list = [...await bookingsFor(s, s.job, "r", 9, (i) => i % 3, 2), ...await bookingsFor(s, s.job, "c", 3, (i) => i, 1)];
  const r = booked(await bookFrames(t.db, list));
  expect(r.booked.size).toBe(12);
  expect(r.refused.size).toBe(0);
  expect(list.every((b) => r.booked.get(b.frameId) === b.frameVersion + 1)).toBe(true);
  // Each host: 3 frames x 2 cores + 1 frame x 1 core = 7 of 8 cores.
  expect([...r.hosts.values()].map((h) => h.idleCoreUnits)).toEqual([100, 100, 100]);
  const after = await snapshot();
  expect(after).toMatchObject({ sub: 2100, job: 2100, layer: 2100, folder: 2100, point: 2100, procs: 12, running: 12, waiting: 6 });
  expect((await audit(t.db)).violations).toEqual([]);
});

test.each<[string, (s: Seeded) => Promise<FrameBooking[]>, number[], string]>([
  ["a stale frame version", async (s) => {
    const l = await bookingsFor(s, s.job, "r", 4, (i) => i % 3, 2);
    return [...l.slice(0, 3), { ...l[3]!, frameVersion: l[3]!.frameVersion + 5 }];
  }, [3], "frame_taken"],
  // 8 cores: the first four 2-core frames fit, the fifth does not.
  ["more than a host has", async (s) => bookingsFor(s, s.job, "r", 5, () => 0, 2), [4], "host_exhausted"],
  ["a layer with a limit record", async (s) => [...await bookingsFor(s, s.job, "r", 2, (i) => i, 2), ...await bookingsFor(s, s.limited, "l", 1, () => 2, 1)], [2], "layer_limits"],
])("%s: that frame is refused, the others are booked exactly", async (_name, build, refusedAt, reason) => {
  const s = await seed();
  const list = await build(s);
  const r = booked(await bookFrames(t.db, list));
  const expectRefused = new Map(refusedAt.map((i) => [list[i]!.frameId, reason]));
  expect(r.refused).toEqual(expectRefused);
  expect(r.booked.size).toBe(list.length - refusedAt.length);
  const cores = list.filter((_, i) => !refusedAt.includes(i)).reduce((n, b) => n + b.coreUnits, 0);
  expect(await snapshot()).toMatchObject({ sub: cores, job: cores, procs: list.length - refusedAt.length, running: list.length - refusedAt.length });
  expect((await audit(t.db)).violations).toEqual([]);
});

test("the subscription burst holds for the batch's running sum: the prefix that fits is booked", async () => {
  const s = await seed(10); // 10 cores of burst; 6 frames x 2 cores = 12
  const list = await bookingsFor(s, s.job, "r", 6, (i) => i % 3, 2);
  const r = booked(await bookFrames(t.db, list));
  expect(r.booked.size).toBe(5);
  expect(r.refused).toEqual(new Map([[list[5]!.frameId, "limit_subscription"]]));
  expect(await snapshot()).toMatchObject({ sub: 1000, procs: 5 });
  // Full now: the next batch books nothing and writes nothing.
  const before = await snapshot();
  const more = booked(await bookFrames(t.db, await bookingsFor(s, s.job, "c", 2, (i) => i, 1)));
  expect(more.booked.size).toBe(0);
  expect([...more.refused.values()]).toEqual(["limit_subscription", "limit_subscription"]);
  expect(await snapshot()).toEqual(before);
  expect((await audit(t.db)).violations).toEqual([]);
});

test("frames on a host held by another transaction's advisory lock are refused; the rest are booked", async () => {
  const s = await seed();
  const list = await bookingsFor(s, s.job, "r", 3, (i) => i, 2);
  await t.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${s.hosts[1]!.id}))`.execute(trx);
    const r = booked(await bookFrames(t.db, list));
    expect(r.refused).toEqual(new Map([[list[1]!.frameId, "host_locked"]]));
    expect(r.booked.size).toBe(2);
  });
  // The refused frame books once the lock is gone.
  expect((await bookFrame(t.db, list[1]!)).kind).toBe("booked");
  expect((await audit(t.db)).violations).toEqual([]);
});

test("a host no longer OPEN or UP has no room, in a batch and alone, whatever the caller's host list said", async () => {
  const s = await seed();
  const list = await bookingsFor(s, s.job, "r", 3, (i) => i, 2);
  await t.db.updateTable("host").set({ str_lock_state: "NIMBY_LOCKED" }).where("pk_host", "=", s.hosts[0]!.id).execute();
  await t.db.updateTable("host_stat").set({ str_state: "DOWN" }).where("pk_host", "=", s.hosts[2]!.id).execute();
  const r = booked(await bookFrames(t.db, list));
  expect(r.refused).toEqual(new Map([[list[0]!.frameId, "host_exhausted"], [list[2]!.frameId, "host_exhausted"]]));
  expect([...r.booked.keys()]).toEqual([list[1]!.frameId]);
  const more = await bookingsFor(s, s.job, "c", 1, () => 0, 1);
  expect((await bookFrame(t.db, more[0]!)).kind).toBe("host_exhausted");
  expect((await audit(t.db)).violations).toEqual([]);
});

test("a batch and a single booking sharing a layer wait for each other, never deadlock (layer_stat before job_stat, as the trigger)", async () => {
  const s = await seed();
  const list = await bookingsFor(s, s.job, "r", 2, (i) => i, 2);
  const layerId = s.job.layers["r"]!.id;
  // A single booking's trigger has taken the layer's stat row and is about to take the job's.
  let batch: ReturnType<typeof bookFrames> | undefined;
  await t.db.transaction().execute(async (trx) => {
    await sql`UPDATE layer_stat SET int_waiting_count = int_waiting_count WHERE pk_layer = ${layerId}`.execute(trx);
    batch = bookFrames(t.db, list);
    batch.catch(() => undefined); // awaited below
    await new Promise((r) => setTimeout(r, 300)); // the batch now waits for the layer's row
    await sql`UPDATE job_stat SET int_waiting_count = int_waiting_count WHERE pk_job = ${s.job.id}`.execute(trx);
  });
  const r = booked(await batch!);
  expect(r.booked.size).toBe(2);
  expect((await audit(t.db)).violations).toEqual([]);
});

test("a write that does not match its check aborts the whole batch and writes nothing", async () => {
  const s = await seed();
  const list = await bookingsFor(s, s.job, "r", 3, (i) => i, 2);
  // A proc already on the second frame (as a crashed writer might leave): the proc insert conflicts.
  const b = list[1]!;
  await sql`INSERT INTO proc (pk_proc, pk_host, pk_show, pk_layer, pk_job, pk_frame, int_cores_reserved, int_mem_reserved, int_mem_pre_reserved, int_mem_used, b_local)
            VALUES (${randomUUID()}, ${s.hosts[2]!.id}, ${b.showId}, ${b.layerId}, ${b.jobId}, ${b.frameId}, 100, 1024, 1024, 0, FALSE)`.execute(t.db);
  const before = await snapshot();
  expect(await bookFrames(t.db, list)).toEqual({ kind: "aborted", reason: "proc_exists" });
  expect(await snapshot()).toEqual(before);
});

test("two batches racing for the same frames and hosts book each frame once and never overbook", async () => {
  const s = await seed();
  const a = await bookingsFor(s, s.job, "r", 12, (i) => i % 3, 2);
  // The same frames, other proc ids, hosts in another order.
  const b = a.map((x, i) => ({ ...x, procId: randomUUID(), hostId: s.hosts[(i + 1) % 3]!.id, hostName: s.hosts[(i + 1) % 3]!.name }));
  const [ra, rb] = await Promise.all([bookFrames(t.db, a), bookFrames(t.db, b)]);
  const total = booked(ra).booked.size + booked(rb).booked.size;
  const snap = await snapshot();
  expect(snap.procs).toBe(total);
  expect(total).toBeGreaterThan(0);
  expect(total).toBeLessThanOrEqual(12); // 3 hosts x 4 two-core frames
  expect((await audit(t.db)).violations).toEqual([]);
});

test("room taken by another transaction after the batch's snapshot aborts the batch (re-checked at the write), nothing written", async () => {
  const s = await seed(100);
  const list = await bookingsFor(s, s.job, "r", 3, (i) => i, 2);
  const before = await snapshot();
  let pending: Promise<Awaited<ReturnType<typeof bookFrames>>> | undefined;
  await t.db.transaction().execute(async (trx) => {
    // Another writer leaves 1 core of burst; uncommitted while the batch reads its snapshot.
    await sql`UPDATE subscription SET int_cores = int_burst - 100`.execute(trx);
    pending = bookFrames(t.db, list);
    await new Promise((r) => setTimeout(r, 300)); // the batch is now waiting on the subscription row
  });
  expect(await pending).toEqual({ kind: "aborted", reason: "limit_subscription" });
  const after = await snapshot();
  expect({ ...after, sub: before.sub }).toEqual(before);
  // On a fresh snapshot the same batch sees the cap and refuses frame by frame instead.
  const again = booked(await bookFrames(t.db, list));
  expect([...again.refused.values()]).toEqual(["limit_subscription", "limit_subscription", "limit_subscription"]);
});

test("the rows every booking of a show shares are locked only by the batch's second statement, after its frames are written", async () => {
  const s = await seed();
  const list = await bookingsFor(s, s.job, "r", 3, (i) => i, 2);
  let pending: Promise<Awaited<ReturnType<typeof bookFrames>>> | undefined;
  let waitingIn: string | undefined;
  await t.db.transaction().execute(async (trx) => {
    // Another booking holds the show's subscription row until it commits.
    await sql`SELECT 1 FROM subscription FOR NO KEY UPDATE`.execute(trx);
    pending = bookFrames(t.db, list);
    for (let i = 0; i < 100 && waitingIn === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const { rows } = await sql<{ query: string }>`
        SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`.execute(t.db);
      waitingIn = rows[0]?.query;
    }
  });
  // It waited in the shared-rows statement: the frame updates, their triggers and the procs were done.
  expect(waitingIn).toContain("cue_scheduler_book_batch_shared");
  expect(booked(await pending!).booked.size).toBe(3);
  expect(await snapshot()).toMatchObject({ sub: 600, job: 600, layer: 600, folder: 600, point: 600, procs: 3, running: 3 });
  expect((await audit(t.db)).violations).toEqual([]);
});
