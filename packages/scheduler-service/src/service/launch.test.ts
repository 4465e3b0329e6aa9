// Launching on RQD over real gRPC (a stand-in RQD on loopback), and the compensation of a launch RQD
// refuses: every counter the booking touched is restored and the host is left alone.
import { sql } from "kysely";
import { createFarm, createTestDatabase, gibToKb, type TestDatabase } from "@opencue-ts/cuebot-db";
import { Code } from "@opencue-ts/proto";
import { createSchedulerService } from "./scheduler-service.js";
import { audit, captureLogs, countFrames, testConfig } from "../test-support/harness.js";
import { startRqdStandIn, type RqdStandIn } from "../test-support/rqd-stand-in.js";

let t: TestDatabase;
let rqd: RqdStandIn;
beforeEach(async () => {
  t = await createTestDatabase();
  rqd = await startRqdStandIn();
});
afterEach(async () => {
  await rqd.close();
  await t.destroy();
});

async function seed() {
  const farm = createFarm(t.db);
  const facility = await farm.createFacility("local");
  const show = await farm.createShow({ name: "demo", schedulerManaged: true });
  const alloc = await farm.createAlloc({ facility, name: "local.general" });
  await farm.createSubscription({ show, alloc, size: 100, burst: 200 });
  // The host's name is its address: LaunchFrame goes to http://127.0.0.1:{rqd.grpc_port}.
  const host = await farm.registerHost({ name: "127.0.0.1", alloc, cores: 8, memoryKb: gibToKb(16) });
  const job = await farm.submitJob({
    show, facility, name: "demo-shot01-alice_render", uid: 1234, logDir: "/tmp/logs/demo", env: { JOBVAR: "j", SHARED: "job" },
    layers: [{ name: "render", range: "1-10x3", chunkSize: 2, minCores: 2, minMemoryKb: gibToKb(2), command: "render -s #FRAME_START# -e #FRAME_END# #FRAMESPEC# #ZFRAME# #LAYER# #JOB# #FRAME#", env: { SHARED: "layer" } }],
  });
  return { host, job };
}

async function counters() {
  const r = await sql<Record<string, number>>`
    SELECT (SELECT int_cores_idle FROM host) AS host_cores_idle, (SELECT int_mem_idle FROM host) AS host_mem_idle,
           (SELECT int_mem_free FROM host_stat) AS stat_mem_free,
           (SELECT SUM(int_cores) FROM subscription) AS sub, (SELECT SUM(int_cores) FROM job_resource) AS job,
           (SELECT SUM(int_cores) FROM layer_resource) AS layer, (SELECT SUM(int_cores) FROM folder_resource) AS folder,
           (SELECT SUM(int_cores) FROM point) AS point, (SELECT SUM(int_waiting_count) FROM layer_stat) AS layer_waiting,
           (SELECT SUM(int_running_count) FROM layer_stat) AS layer_running, (SELECT SUM(int_waiting_count) FROM job_stat) AS job_waiting,
           (SELECT SUM(int_running_count) FROM job_stat) AS job_running, (SELECT count(*)::int FROM proc) AS procs`.execute(t.db);
  return r.rows[0]!;
}

test("booked frames are launched with a complete RunFrame", async () => {
  const { job } = await seed();
  const service = createSchedulerService({ config: testConfig({ rqd: { dry_run_mode: false, grpc_port: rqd.port } }), db: t.db, logger: captureLogs().logger, instanceId: "launch" });
  await service.start();
  await service.stopped;
  // 1-10x3 = 1,4,7,10 in chunks of 2: frames 1 and 7, 2 cores each.
  expect(rqd.launched).toHaveLength(2);
  expect(service.stats()).toMatchObject({ framesBooked: 2, framesLaunched: 2, launchFailures: 0 });
  const rf = rqd.launched.find((f) => f.frameName === "0001-render")!;
  const proc = await t.db.selectFrom("proc").selectAll().where("pk_frame", "=", rf.frameId).executeTakeFirstOrThrow();
  expect(rf.resourceId).toBe(proc.pk_proc);
  expect(rf).toMatchObject({
    jobId: job.id, jobName: "demo-shot01-alice_render", layerId: job.layers.render!.id, userName: "opencue", logDir: "/tmp/logs/demo",
    show: "demo", shot: "shot01", numCores: 200, numGpus: 0, os: "linux", ignoreNimby: false, lokiUrl: "",
    uidOptional: { case: "uid", value: 1234 }, jobTempDir: "deprecated", logFile: "deprecated", logDirFile: "deprecated",
    command: "render -s 1 -e 4 1,4 0001 render demo-shot01-alice_render 0001-render",
  });
  expect(rf.softMemoryLimit).toBe(BigInt(Math.round(gibToKb(2) * 1.6)));
  expect(rf.hardMemoryLimit).toBe(BigInt(gibToKb(2) * 2));
  expect(rf.environment).toMatchObject({
    JOBVAR: "j", SHARED: "layer", CUE3: "1", CUE_THREADS: "2", CUE_MEMORY: String(gibToKb(2)), CUE_GPUS: "0", CUE_RANGE: "1-10x3",
    CUE_CHUNK: "2", CUE_IFRAME: "1", CUE_LAYER: "render", CUE_JOB: "demo-shot01-alice_render", CUE_FRAME: "0001-render", CUE_SHOW: "demo",
    CUE_SHOT: "shot01", CUE_USER: "opencue", CUE_JOB_ID: job.id, CUE_FRAME_ID: rf.frameId, CUE_THREADABLE: "1", CUE_LOG_PATH: "/tmp/logs/demo",
  });
  expect(await countFrames(t.db, "RUNNING")).toBe(2);
  expect((await audit(t.db)).violations).toEqual([]);
});

// One by one (booking_batch_size 1) the second frame is never booked once the host is backed off; in a
// batch both frames were booked together, the second is not launched and its booking undone too.
test.each([[Code.FailedPrecondition, 1], [Code.Unavailable, 1], [Code.FailedPrecondition, 32]])("a refused launch (%s, batch size %s) is compensated exactly and the host backed off", async (code, batch) => {
  await seed();
  rqd.mode = code;
  const before = await counters();
  const { logger, lines } = captureLogs();
  const service = createSchedulerService({ config: testConfig({ rqd: { dry_run_mode: false, grpc_port: rqd.port, host_backoff: "1h" }, queue: { booking_batch_size: batch } }), db: t.db, logger, instanceId: "refused" });
  await service.start();
  await service.stopped;
  expect(service.stats()).toMatchObject({ framesBooked: 0, launchFailures: 1 });
  expect(await counters()).toEqual(before);
  const frames = await t.db.selectFrom("frame").select(["str_state", "int_exit_status", "int_version"]).execute();
  expect(frames.map((f) => f.str_state)).toEqual(["WAITING", "WAITING"]);
  expect(frames.filter((f) => f.int_exit_status === 299 && f.int_version === 2)).toHaveLength(batch === 1 ? 1 : 2);
  expect(rqd.killed).toHaveLength(1);
  expect(lines().some((l) => l.level === "error" && /launch of .* failed, booking undone/.test(String(l.message)))).toBe(true);
  const text = await service.metrics.registry.getSingleMetricAsString("scheduler_launch_failures_total");
  expect(text).toMatch(/scheduler_launch_failures_total\{code="RQD_(REJECTED|UNREACHABLE)"\} 1/);
  expect((await audit(t.db)).violations).toEqual([]);
});

test("an unreachable RQD is compensated like a refusal", async () => {
  await seed();
  const port = rqd.port;
  await rqd.close();
  const service = createSchedulerService({ config: testConfig({ rqd: { dry_run_mode: false, grpc_port: port, launch_timeout: "2s" } }), db: t.db, logger: captureLogs().logger, instanceId: "down" });
  await service.start();
  await service.stopped;
  expect(service.stats().launchFailures).toBeGreaterThanOrEqual(1);
  expect(await countFrames(t.db, "WAITING")).toBe(2);
  expect((await audit(t.db)).violations).toEqual([]);
});
