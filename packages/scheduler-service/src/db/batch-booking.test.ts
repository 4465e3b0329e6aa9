// bookFrames on a real PostgreSQL: a batch over several hosts writes exactly what the same bookings one
// by one would (the §6.2 audit holds), and any failed guard leaves the database untouched.
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

test("a batch over three hosts and two layers books every frame, with the counters summed per row", async () => {
  const s = await seed();
  const list = [...await bookingsFor(s, s.job, "r", 9, (i) => i % 3, 2), ...await bookingsFor(s, s.job, "c", 3, (i) => i, 1)];
  const r = await bookFrames(t.db, list);
  expect(r.kind).toBe("booked");
  if (r.kind !== "booked") return;
  expect(r.frameVersions.size).toBe(12);
  expect(list.every((b) => r.frameVersions.get(b.frameId) === b.frameVersion + 1)).toBe(true);
  // Each host: 3 frames x 2 cores + 1 frame x 1 core = 7 of 8 cores.
  expect([...r.hosts.values()].map((h) => h.idleCoreUnits)).toEqual([100, 100, 100]);
  const after = await snapshot();
  expect(after).toMatchObject({ sub: 2100, job: 2100, layer: 2100, folder: 2100, point: 2100, procs: 12, running: 12, waiting: 6 });
  expect((await audit(t.db)).violations).toEqual([]);
});

test.each<[string, (s: Seeded) => Promise<FrameBooking[]>, string]>([
  ["a stale frame version", async (s) => {
    const l = await bookingsFor(s, s.job, "r", 4, (i) => i % 3, 2);
    return [...l.slice(0, 3), { ...l[3]!, frameVersion: l[3]!.frameVersion + 5 }];
  }, "frame_taken"],
  ["more than a host has", async (s) => bookingsFor(s, s.job, "r", 5, () => 0, 2), "host_exhausted"],
  ["a layer with a limit record", async (s) => [...await bookingsFor(s, s.job, "r", 2, (i) => i, 2), ...await bookingsFor(s, s.limited, "l", 1, () => 2, 1)], "layer_limits"],
])("%s: refused, nothing written", async (_name, build, reason) => {
  const s = await seed();
  const list = await build(s);
  const before = await snapshot();
  expect(await bookFrames(t.db, list)).toEqual({ kind: "refused", reason });
  expect(await snapshot()).toEqual(before);
});

test("the subscription burst holds for the batch's sum", async () => {
  const s = await seed(10); // 10 cores of burst; 6 frames x 2 cores = 12
  const list = await bookingsFor(s, s.job, "r", 6, (i) => i % 3, 2);
  const before = await snapshot();
  expect(await bookFrames(t.db, list)).toEqual({ kind: "refused", reason: "limit_subscription" });
  expect(await snapshot()).toEqual(before);
  expect(await bookFrames(t.db, list.slice(0, 5))).toMatchObject({ kind: "booked" });
  expect((await audit(t.db)).violations).toEqual([]);
});

test("a host held by another booking's advisory lock refuses the whole batch", async () => {
  const s = await seed();
  const list = await bookingsFor(s, s.job, "r", 3, (i) => i, 2);
  const before = await snapshot();
  await t.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${s.hosts[1]!.id}))`.execute(trx);
    expect(await bookFrames(t.db, list)).toEqual({ kind: "refused", reason: "host_locked" });
  });
  expect(await snapshot()).toEqual(before);
  // The same frames one by one then book (the fallback path).
  for (const b of list) expect((await bookFrame(t.db, b)).kind).toBe("booked");
  expect((await audit(t.db)).violations).toEqual([]);
});
