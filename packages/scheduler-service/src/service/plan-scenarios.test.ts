// The loop through scheduler-core's plan() against a real PostgreSQL (dry run): the awake scan,
// start-after, layer limits, E-PVM placement, accounting recompute, and a reservation with EASY
// backfill driven by layer_usage runtime estimates. Every scenario ends with the reference's audit.
import { sql } from "kysely";
import { createFarm, createTestDatabase, gibToKb, type AllocRef, type FacilityRef, type Farm, type ShowRef, type TestDatabase } from "@opencue-ts/cuebot-db";
import { createSchedulerService, type SchedulerService } from "./scheduler-service.js";
import { recomputeAccounting } from "../db/recompute.js";
import { audit, captureLogs, countFrames, testConfig } from "../test-support/harness.js";
import { createSmokeFarm } from "../test-support/smoke-farm.js";

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.destroy());

type Over = Record<string, Record<string, unknown>>;

function service(over: Over = {}, id = "plan"): SchedulerService {
  return createSchedulerService({ config: testConfig(over), db: t.db, logger: captureLogs().logger, instanceId: id });
}

/** Starts a service and waits for its empty-cycle stop. */
async function runToIdle(over: Over = {}): Promise<SchedulerService> {
  const s = service(over);
  await s.start();
  await s.stopped;
  return s;
}

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

interface SmallFarm {
  readonly farm: Farm;
  readonly facility: FacilityRef;
  readonly show: ShowRef;
  readonly alloc: AllocRef;
}

/** One show, one allocation (tag "general"), `hosts` hosts of `cores` cores and 32 GiB. */
async function smallFarm(hosts: number, cores: number, manualTag?: string): Promise<SmallFarm> {
  const farm = createFarm(t.db);
  const facility = await farm.createFacility("plan");
  const show = await farm.createShow({ name: "plan_show", schedulerManaged: true });
  const alloc = await farm.createAlloc({ facility, name: "plan.general", tag: "general" });
  await farm.createSubscription({ show, alloc, size: 1000, burst: 10_000 });
  for (let i = 0; i < hosts; i++) {
    await farm.registerHost({ name: `plan-h${i}`, alloc, cores, memoryKb: gibToKb(32), ...(manualTag && i === 0 ? { tags: [manualTag] } : {}) });
  }
  return { farm, facility, show, alloc };
}

async function histogramCount(s: SchedulerService, metric: "framesPerPass" | "placementScore", labels: Record<string, string> = {}): Promise<number> {
  const m = await s.metrics[metric].get();
  return m.values
    .filter((v) => v.metricName?.endsWith("_count") && Object.entries(labels).every(([k, val]) => (v.labels as Record<string, string | number | undefined>)[k] === val))
    .reduce((a, v) => a + v.value, 0);
}

test("awake scan: a cluster with no waiting work is never passed; work appearing on it wakes it", async () => {
  const f = await smallFarm(2, 8, "idle_manual");
  await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-busy", maxCores: 100, layers: [{ name: "r", range: "1-4", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false }] });
  const s = service({ queue: { empty_job_cycles_before_quiting: null } });
  await s.start();
  try {
    await until("the alloc cluster's frames", async () => (await countFrames(t.db, "WAITING")) === 0);
    // Let several awake scans and worker rounds go by: the manual cluster has nothing waiting. (Counting
    // passes raced: once the alloc cluster is drained the scan puts it to sleep too, and passes stop.)
    const scans = async () => (await s.metrics.activeScanDuration.get()).values.find((v) => v.metricName?.endsWith("_count"))?.value ?? 0;
    const scansBefore = await scans();
    await until("a few more awake scans", async () => (await scans()) >= scansBefore + 3);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await histogramCount(s, "framesPerPass", { cluster_type: "alloc" })).toBeGreaterThan(0);
    expect(await histogramCount(s, "framesPerPass", { cluster_type: "manual" })).toBe(0);
    const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-late", maxCores: 100, layers: [{ name: "m", range: "1-2", minCores: 1, minMemoryKb: gibToKb(1), tags: ["idle_manual"], threadable: false }] });
    await until("the manual cluster to wake and book", async () => (await countFrames(t.db, "RUNNING", job.id)) === 2);
    expect(await histogramCount(s, "framesPerPass", { cluster_type: "manual" })).toBeGreaterThan(0);
  } finally {
    await s.stop();
  }
  expect((await audit(t.db)).violations).toEqual([]);
});

test("start-after: a layer gated in the future is not booked; once the gate has passed it is", async () => {
  const f = await smallFarm(1, 8);
  const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-gated", maxCores: 100, layers: [
    { name: "later", range: "1-3", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false, startAfter: new Date(Date.now() + 10 * 60_000) },
    { name: "now", range: "1-2", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false },
  ] });
  const s1 = await runToIdle();
  expect(s1.stats().framesBooked).toBe(2);
  const waiting = await t.db.selectFrom("frame").select("pk_layer").where("str_state", "=", "WAITING").execute();
  expect(waiting).toHaveLength(3);
  expect(new Set(waiting.map((w) => w.pk_layer))).toEqual(new Set([job.layers["later"]!.id]));
  await t.db.updateTable("layer").set({ ts_start_after: new Date(Date.now() - 60_000) }).where("pk_layer", "=", job.layers["later"]!.id).execute();
  const s2 = await runToIdle();
  expect(s2.stats().framesBooked).toBe(3);
  expect(await countFrames(t.db, "WAITING")).toBe(0);
  expect((await audit(t.db)).violations).toEqual([]);
});

test("layer limits: never more running frames than a limit record allows, shared limits counted across layers", async () => {
  const f = await smallFarm(2, 16);
  await f.farm.createLimit({ name: "nuke", maxValue: 2 });
  await f.farm.createLimit({ name: "arnold", maxValue: 3 });
  const a = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-lim-a", maxCores: 100, layers: [
    { name: "comp", range: "1-6", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false, limits: ["nuke"] },
    { name: "render", range: "1-6", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false, limits: ["arnold"] },
  ] });
  const b = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-lim-b", maxCores: 100, layers: [
    { name: "render", range: "1-6", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false, limits: ["arnold"] },
    { name: "free", range: "1-4", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false },
  ] });
  await runToIdle();
  const running = async (layerId: string) => Number((await t.db.selectFrom("frame").select((eb) => eb.fn.countAll<number>().as("n")).where("pk_layer", "=", layerId).where("str_state", "=", "RUNNING").executeTakeFirstOrThrow()).n);
  expect(await running(a.layers["comp"]!.id)).toBe(2);
  expect((await running(a.layers["render"]!.id)) + (await running(b.layers["render"]!.id))).toBe(3);
  expect(await running(b.layers["free"]!.id)).toBe(4); // the limits hold back only their own layers
  expect((await audit(t.db)).violations).toEqual([]);
});

test("E-PVM (queue.host_booking_strategy: epvm) books every placeable smoke frame, scores each choice, passes the audit", async () => {
  await createSmokeFarm(t.db);
  const s = await runToIdle({ queue: { host_booking_strategy: { type: "epvm" } } });
  // As with first fit: hostname_job l2's tag is on no host, one alloc_job frame finds no free GPU.
  expect(await countFrames(t.db, "WAITING")).toBe(4);
  expect(s.stats().framesBooked).toBe(17);
  expect(await histogramCount(s, "placementScore")).toBe(17);
  expect((await audit(t.db)).violations).toEqual([]);
});

test("accounting recompute repairs the counters Cuebot leaves behind when a managed show's frames end", async () => {
  const f = await smallFarm(2, 8);
  await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-acct", maxCores: 100, layers: [{ name: "r", range: "1-6", minCores: 2, minMemoryKb: gibToKb(1), tags: ["general"], threadable: true }] });
  await runToIdle();
  expect((await audit(t.db)).violations).toEqual([]);
  // Cuebot finishing frames of a scheduler-managed show: the proc goes, the frame succeeds, the host
  // gets its cores back, but subscription / job / layer / folder counters keep the booking.
  const done = await t.db.selectFrom("proc").selectAll().limit(3).execute();
  expect(done).toHaveLength(3);
  for (const p of done) {
    await t.db.deleteFrom("proc").where("pk_proc", "=", p.pk_proc).execute();
    await t.db.updateTable("frame").set({ str_state: "SUCCEEDED" }).where("pk_frame", "=", p.pk_frame!).execute();
    await sql`UPDATE host SET int_cores_idle = int_cores_idle + ${p.int_cores_reserved}, int_mem_idle = int_mem_idle + ${p.int_mem_reserved} WHERE pk_host = ${p.pk_host}`.execute(t.db);
  }
  const drifted = (await audit(t.db)).violations;
  for (const table of ["subscription", "job_resource", "layer_resource", "folder_resource"]) expect(drifted.some((v) => v.startsWith(table))).toBe(true);
  await recomputeAccounting(t.db, [f.show.id]);
  expect((await audit(t.db)).violations).toEqual([]);
  // And the repaired counters are what the next pass books against: the freed cores are used again.
  const s = await runToIdle();
  expect(s.stats().framesBooked).toBe(0); // nothing waits any more
  expect((await audit(t.db)).violations).toEqual([]);
});

test("reservation with EASY backfill: a whole-host frame holds the host; only frames that end before it starts backfill", async () => {
  const f = await smallFarm(1, 8);
  // Half the host runs frames expected to take an hour (layer_usage: one success of 3600 s).
  const filler = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-filler", priority: 1, maxCores: 100, layers: [{ name: "r", range: "1-4", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false }] });
  await runToIdle();
  expect(await countFrames(t.db, "RUNNING", filler.id)).toBe(4);
  // Each layer has its layer_usage row from submission: record one success of `seconds`.
  const usage = async (layer: { id: string }, seconds: number) => {
    const r = await t.db.updateTable("layer_usage").set({ int_clock_time_success: seconds, int_frame_success_count: 1 }).where("pk_layer", "=", layer.id).executeTakeFirst();
    expect(Number(r.numUpdatedRows)).toBe(1);
  };
  await usage(filler.layers["r"]!, 3600);
  const big = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-big", priority: 100, maxCores: 100, layers: [{ name: "sim", range: "1-1", minCores: 8, minMemoryKb: gibToKb(2), tags: ["general"], threadable: true }] });
  const slow = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-slow", priority: 50, maxCores: 100, layers: [{ name: "r", range: "1-2", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false }] });
  const quick = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-quick", priority: 10, maxCores: 100, layers: [{ name: "r", range: "1-2", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false }] });
  await usage(slow.layers["r"]!, 2 * 3600); // would still run when the big frame's host frees up
  await usage(quick.layers["r"]!, 600); // ends long before
  const s = await runToIdle();
  expect(await countFrames(t.db, "WAITING", big.id)).toBe(1);
  expect(await countFrames(t.db, "WAITING", slow.id)).toBe(2); // higher priority, yet held off the reserved host
  expect(await countFrames(t.db, "RUNNING", quick.id)).toBe(2); // backfilled
  expect(s.stats().framesBooked).toBe(2);
  expect(Number((await s.metrics.planReservations.get()).values.find((v) => v.labels["cluster_type"] === "alloc")?.value)).toBe(1);
  expect((await audit(t.db)).violations).toEqual([]);
});

test("a layer no host can ever run is reported once (log line + metric), never looped on, and the rest still books", async () => {
  const f = await smallFarm(2, 8);
  const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "plan-huge", maxCores: 1000, layers: [
    { name: "huge", range: "1-2", minCores: 64, minMemoryKb: gibToKb(1), tags: ["general"], threadable: true },
    { name: "ok", range: "1-3", minCores: 1, minMemoryKb: gibToKb(1), tags: ["general"], threadable: false },
  ] });
  const logs = captureLogs();
  const s = createSchedulerService({ config: testConfig(), db: t.db, logger: logs.logger, instanceId: "plan" });
  await s.start();
  await s.stopped;
  expect(await countFrames(t.db, "RUNNING", job.id)).toBe(3);
  expect(await countFrames(t.db, "WAITING", job.id)).toBe(2);
  const lines = logs.lines().filter((l) => String(l.message).includes("can never be placed"));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ layer: "plan-huge/huge", reason: "cores-exceed-every-host" });
  expect(s.stats().passes).toBeGreaterThan(1); // reported on later passes too, but logged once
  const unplaceable = (await s.metrics.layersUnplaceable.get()).values.find((v) => v.labels.reason === "cores-exceed-every-host");
  expect(unplaceable?.value).toBeGreaterThanOrEqual(1);
  expect((await audit(t.db)).violations).toEqual([]);
});
