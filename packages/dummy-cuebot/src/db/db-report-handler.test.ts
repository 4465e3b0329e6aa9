import pg from "pg";
import { createFarm, createTestDatabase, gibToKb, type SubmittedJob, type TestDatabase } from "@opencue-ts/cuebot-db";
import { BootReportSchema, Code, create, type MessageInitShape, FrameCompleteReportSchema, HardwareState, HostReportSchema, RenderHostSchema, RunningFrameInfoSchema } from "@opencue-ts/proto";
import { createReportServer } from "../report-server.js";
import { bookFrame, type Booking } from "../test-support/booking.js";
import { reportSender } from "../test-support/report-sender.js";
import { createDbReportHandler, type DbReportHandler } from "./db-report-handler.js";
import { DummyCuebotError } from "./errors.js";

// cuebot-db types Generated<Timestamp> columns as read-only ColumnTypes; at runtime they are Dates.
const asDate = (v: unknown): Date => v as Date;

const renderHost = (name: string, extra: Omit<MessageInitShape<typeof RenderHostSchema>, "$typeName"> = {}) =>
  create(RenderHostSchema, {
    name, facility: "local", numProcs: 1, coresPerProc: 400, totalMem: BigInt(gibToKb(8)), freeMem: BigInt(gibToKb(6)),
    totalSwap: 1024n, freeSwap: 512n, totalMcp: 10_000n, freeMcp: 5000n, load: 25, bootTime: 1_700_000_000,
    state: HardwareState.UP, tags: ["linux", "big"], attributes: { SP_OS: "rocky" }, ...extra,
  });

const boot = (name: string, extra: Omit<MessageInitShape<typeof RenderHostSchema>, "$typeName"> = {}) => create(BootReportSchema, { host: renderHost(name, extra), coreInfo: { totalCores: 400, idleCores: 400 } });

const completion = (b: Booking, exitStatus: number, extra: { exitSignal?: number; maxRss?: bigint; runTime?: number } = {}) =>
  create(FrameCompleteReportSchema, {
    host: renderHost(b.hostName),
    frame: { resourceId: b.procId, jobId: b.jobId, frameId: b.frameId, frameName: b.frameName, layerId: b.layerId, numCores: 100, maxRss: extra.maxRss ?? 2048n },
    exitStatus, exitSignal: extra.exitSignal ?? 0, runTime: extra.runTime ?? 3,
  });

describe("createDbReportHandler", () => {
  let t: TestDatabase;
  let handler: DbReportHandler;
  let clock: number;

  beforeEach(async () => {
    t = await createTestDatabase();
    clock = Date.now();
    handler = createDbReportHandler({ db: t.db, now: () => clock, hostDownAfterMs: 60_000, orphanAfterMs: 120_000 });
  });
  afterEach(() => t.destroy());

  /** A scheduler-managed show subscribed to the allocation the first host report created. */
  async function submit(spec: { maxRetries?: number; layers: { name: string; range: string }[]; dependencies?: { type: "LAYER_ON_LAYER" | "FRAME_BY_FRAME"; layer: string; onLayer: string }[] }): Promise<SubmittedJob> {
    const farm = createFarm(t.db);
    const facility = await t.db.selectFrom("facility").select(["pk_facility as id", "str_name as name"]).executeTakeFirstOrThrow();
    const alloc = await t.db.selectFrom("alloc").selectAll().executeTakeFirstOrThrow();
    const show = await farm.createShow({ name: `show${Math.floor(Math.random() * 1e6)}`, schedulerManaged: true });
    await farm.createSubscription({ show, alloc: { id: alloc.pk_alloc, name: alloc.str_name, tag: alloc.str_tag!, facilityId: alloc.pk_facility }, size: 10, burst: 20 });
    const job = await farm.submitJob({ show, facility, name: `${show.name}-shot-job`, layers: spec.layers.map((l) => ({ ...l, minMemoryKb: 262_144 })), dependencies: spec.dependencies });
    if (spec.maxRetries !== undefined) await t.db.updateTable("job").set({ int_max_retries: spec.maxRetries }).where("pk_job", "=", job.id).execute();
    return job;
  }

  const frame = (jobId: string, name: string) => t.db.selectFrom("frame").selectAll().where("pk_job", "=", jobId).where("str_name", "=", name).executeTakeFirstOrThrow();
  const host = (name: string) => t.db.selectFrom("host").selectAll().where("str_name", "=", name).executeTakeFirstOrThrow();

  test("a startup report registers the host in the default allocation it creates, with its tags and stats", async () => {
    await expect(handler.startup(boot("render-1"))).resolves.toBe("host render-1 registered");
    const h = await host("render-1");
    expect(h).toMatchObject({ int_cores: 400, int_cores_idle: 400, int_procs: 1, int_mem: gibToKb(8) - 524_288, int_mem_idle: gibToKb(8) - 524_288, str_lock_state: "OPEN", str_fqdn: "render-1" });
    const alloc = await t.db.selectFrom("alloc").innerJoin("facility", "facility.pk_facility", "alloc.pk_facility").select(["alloc.pk_alloc", "alloc.str_name", "alloc.str_tag", "alloc.b_default", "facility.str_name as facility"]).execute();
    expect(alloc).toEqual([{ pk_alloc: h.pk_alloc, str_name: "local.general", str_tag: "general", b_default: true, facility: "local" }]);
    const tags = await t.db.selectFrom("host_tag").select(["str_tag", "str_tag_type"]).where("pk_host", "=", h.pk_host).orderBy("str_tag").execute();
    expect(tags).toEqual([
      { str_tag: "big", str_tag_type: "HARDWARE" }, { str_tag: "general", str_tag_type: "ALLOC" },
      { str_tag: "linux", str_tag_type: "HARDWARE" }, { str_tag: "render-1", str_tag_type: "HOSTNAME" },
    ]);
    expect(h.str_tags!.split(" ").sort()).toEqual(["big", "general", "linux", "render-1"]);
    const stat = await t.db.selectFrom("host_stat").selectAll().where("pk_host", "=", h.pk_host).executeTakeFirstOrThrow();
    expect(stat).toMatchObject({ int_mem_total: gibToKb(8), int_mem_free: gibToKb(6), int_swap_free: 512, int_mcp_free: 5000, int_load: 25, str_state: "UP", str_os: "rocky" });
    expect(asDate(stat.ts_booted).getTime()).toBe(1_700_000_000_000);
    expect(Math.abs(asDate(stat.ts_ping).getTime() - clock)).toBeLessThan(1000);

    // A second host with a tag naming no allocation joins the same default allocation.
    await handler.startup(boot("render-2", { tags: ["gpu"] }));
    expect((await host("render-2")).pk_alloc).toBe(h.pk_alloc);
    // A restart updates instead of duplicating, and replaces the hardware tags.
    await expect(handler.startup(boot("render-1", { tags: ["linux"] }))).resolves.toBe("host render-1 updated");
    expect(await t.db.selectFrom("host").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).toEqual({ n: 2 });
    const after = await t.db.selectFrom("host_tag").select("str_tag").where("pk_host", "=", h.pk_host).orderBy("str_tag").execute();
    expect(after.map((x) => x.str_tag)).toEqual(["general", "linux", "render-1"]);
  });

  test("a host with too little memory is refused with a typed error and nothing is written", async () => {
    const err = await handler.startup(boot("tiny", { totalMem: 700_000n })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DummyCuebotError);
    expect((err as DummyCuebotError).code).toBe("HOST_TOO_SMALL");
    expect(await t.db.selectFrom("host").selectAll().execute()).toEqual([]);
    // The handler keeps working after a failure.
    await expect(handler.startup(boot("ok"))).resolves.toBe("host ok registered");
  });

  test("status reports refresh host_stat and copy running frames' memory and LLU time to frame and proc", async () => {
    await handler.startup(boot("render-1"));
    const job = await submit({ layers: [{ name: "render", range: "1-2" }] });
    const b = await bookFrame(t.db, { jobId: job.id, frameName: "0001-render", hostName: "render-1" });
    clock += 5000;
    const report = create(HostReportSchema, {
      host: renderHost("render-1", { freeMem: 1234n, load: 90 }),
      frames: [
        create(RunningFrameInfoSchema, { resourceId: b.procId, jobId: job.id, frameId: b.frameId, layerId: b.layerId, frameName: b.frameName, rss: 5000n, maxRss: 7000n, pss: 4000n, maxPss: 4500n, vsize: 9000n, maxVsize: 9900n, lluTime: 1_700_000_123n }),
        create(RunningFrameInfoSchema, { resourceId: "not-a-proc", frameId: "zombie", frameName: "zombie" }),
      ],
    });
    await expect(handler.status(report)).resolves.toBe("host render-1 updated, 1 running frame(s) updated, 1 not booked here");
    const f = await frame(job.id, "0001-render");
    expect(f).toMatchObject({ int_mem_used: 5000, int_mem_max_used: 7000, int_pss_used: 4000, int_pss_max_used: 4500 });
    expect(f.ts_llu?.getTime()).toBe(1_700_000_123_000);
    const p = await t.db.selectFrom("proc").selectAll().where("pk_proc", "=", b.procId).executeTakeFirstOrThrow();
    expect(p).toMatchObject({ int_mem_used: 5000, int_mem_max_used: 7000, int_virt_used: 9000, int_virt_max_used: 9900 });
    expect(Math.abs(asDate(p.ts_ping).getTime() - clock)).toBeLessThan(1000);
    const stat = await t.db.selectFrom("host_stat").selectAll().where("pk_host", "=", (await host("render-1")).pk_host).executeTakeFirstOrThrow();
    expect(stat).toMatchObject({ int_mem_free: 1234, int_load: 90 });
    expect((await t.db.selectFrom("layer_mem").select("int_max_rss").where("pk_layer", "=", b.layerId).executeTakeFirstOrThrow()).int_max_rss).toBe(7000);
    // A status report from an unknown host registers it, as Cuebot does.
    await expect(handler.status(create(HostReportSchema, { host: renderHost("late") }))).resolves.toMatch(/^host late registered/);
  });

  test("a successful completion stops the frame, releases the proc and the host, notifies the scheduler, and finishes the job", async () => {
    await handler.startup(boot("render-1"));
    const job = await submit({ layers: [{ name: "render", range: "1" }] });
    const idle = await host("render-1");
    const b = await bookFrame(t.db, { jobId: job.id, frameName: "0001-render", hostName: "render-1", cores: 2, memoryKb: 500_000 });
    expect((await host("render-1")).int_cores_idle).toBe(idle.int_cores_idle - 200);

    const listener = new pg.Client({ connectionString: t.connectionString });
    await listener.connect();
    const notes: string[] = [];
    listener.on("notification", (n) => notes.push(n.payload ?? ""));
    await listener.query("LISTEN acct_release");
    try {
      const outcome = await handler.applyCompletion(completion(b, 0, { maxRss: 123_456n, runTime: 4 }));
      expect(outcome).toMatchObject({ kind: "applied", state: "SUCCEEDED", exitStatus: 0, procReleased: true, layerComplete: true, jobFinished: true });
      const f = await frame(job.id, "0001-render");
      expect(f).toMatchObject({ str_state: "SUCCEEDED", int_exit_status: 0, int_mem_max_used: 123_456 });
      expect(await t.db.selectFrom("proc").selectAll().execute()).toEqual([]);
      const h = await host("render-1");
      expect([h.int_cores_idle, h.int_mem_idle]).toEqual([idle.int_cores_idle, idle.int_mem_idle]);
      const j = await t.db.selectFrom("job").select(["str_state", "ts_stopped"]).where("pk_job", "=", job.id).executeTakeFirstOrThrow();
      expect(j.str_state).toBe("FINISHED");
      expect(await t.db.selectFrom("job_stat").select(["int_succeeded_count", "int_running_count"]).where("pk_job", "=", job.id).executeTakeFirstOrThrow()).toEqual({ int_succeeded_count: 1, int_running_count: 0 });
      expect(await t.db.selectFrom("job_usage").select(["int_frame_success_count", "int_core_time_success"]).where("pk_job", "=", job.id).executeTakeFirstOrThrow()).toEqual({ int_frame_success_count: 1, int_core_time_success: 8 });
      for (let i = 0; i < 50 && notes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(notes.map((n) => JSON.parse(n) as unknown)).toEqual([{ show: job.showId, alloc: idle.pk_alloc, folder: job.folderId, job: job.id, layer: b.layerId, dept: job.deptId, cores: -2, gpus: 0 }]);
      // The same report again (RQD delivers at least once) changes nothing.
      await expect(handler.applyCompletion(completion(b, 0))).resolves.toMatchObject({ kind: "stale" });
      expect((await host("render-1")).int_cores_idle).toBe(idle.int_cores_idle);
    } finally {
      await listener.end();
    }
  });

  test("a failing frame is retried by the job's retry rules, then DEAD, and the job stays PENDING", async () => {
    await handler.startup(boot("render-1"));
    const job = await submit({ maxRetries: 1, layers: [{ name: "render", range: "1" }] });
    const first = await bookFrame(t.db, { jobId: job.id, frameName: "0001-render", hostName: "render-1" });
    await expect(handler.applyCompletion(completion(first, 1))).resolves.toMatchObject({ kind: "applied", state: "WAITING", jobFinished: false });
    expect(await frame(job.id, "0001-render")).toMatchObject({ str_state: "WAITING", int_exit_status: 1, int_retries: 0 });
    const second = await bookFrame(t.db, { jobId: job.id, frameName: "0001-render", hostName: "render-1" });
    expect((await frame(job.id, "0001-render")).int_retries).toBe(1);
    await expect(handler.applyCompletion(completion(second, 1))).resolves.toMatchObject({ state: "DEAD" });
    expect(await frame(job.id, "0001-render")).toMatchObject({ str_state: "DEAD", int_exit_status: 1 });
    expect((await t.db.selectFrom("job").select("str_state").where("pk_job", "=", job.id).executeTakeFirstOrThrow()).str_state).toBe("PENDING");
    expect(await t.db.selectFrom("job_stat").select(["int_dead_count", "int_waiting_count"]).where("pk_job", "=", job.id).executeTakeFirstOrThrow()).toEqual({ int_dead_count: 1, int_waiting_count: 0 });
    expect(await t.db.selectFrom("proc").selectAll().execute()).toEqual([]);
  });

  test("layer-on-layer and frame-by-frame dependencies release frames as Cuebot does", async () => {
    await handler.startup(boot("render-1"));
    const job = await submit({
      layers: [{ name: "sim", range: "1-2" }, { name: "render", range: "1-2" }, { name: "comp", range: "1" }],
      dependencies: [{ type: "FRAME_BY_FRAME", layer: "render", onLayer: "sim" }, { type: "LAYER_ON_LAYER", layer: "comp", onLayer: "render" }],
    });
    const states = async () => Object.fromEntries((await t.db.selectFrom("frame").select(["str_name", "str_state"]).where("pk_job", "=", job.id).execute()).map((f) => [f.str_name, f.str_state]));
    expect(await states()).toEqual({ "0001-sim": "WAITING", "0002-sim": "WAITING", "0001-render": "DEPEND", "0002-render": "DEPEND", "0001-comp": "DEPEND" });
    const run = async (name: string) => handler.applyCompletion(completion(await bookFrame(t.db, { jobId: job.id, frameName: name, hostName: "render-1" }), 0));

    await expect(run("0002-sim")).resolves.toMatchObject({ dependentsReleased: 1, layerComplete: false });
    expect(await states()).toMatchObject({ "0001-render": "DEPEND", "0002-render": "WAITING", "0001-comp": "DEPEND" });
    await run("0001-sim");
    await run("0001-render");
    expect(await states()).toMatchObject({ "0001-render": "SUCCEEDED", "0001-comp": "DEPEND" });
    await expect(run("0002-render")).resolves.toMatchObject({ layerComplete: true, dependentsReleased: 1 });
    expect(await states()).toMatchObject({ "0001-comp": "WAITING" });
    await expect(run("0001-comp")).resolves.toMatchObject({ jobFinished: true });
    const depends = await t.db.selectFrom("depend").select(["str_type", "b_active"]).where("pk_job_depend_er", "=", job.id).where("b_composite", "=", false).execute();
    expect(depends.every((d) => !d.b_active)).toBe(true);
  });

  test("reports about procs that lost their frame, duplicates and orphans are handled without double counting", async () => {
    await handler.startup(boot("render-1"));
    const job = await submit({ layers: [{ name: "render", range: "1-2" }] });
    const idle = (await host("render-1")).int_cores_idle;
    // Orphan: the proc is gone but the frame still RUNNING: the report finalises the frame.
    const a = await bookFrame(t.db, { jobId: job.id, frameName: "0001-render", hostName: "render-1" });
    await t.db.deleteFrom("proc").where("pk_proc", "=", a.procId).execute();
    await t.db.updateTable("host").set((eb) => ({ int_cores_idle: eb("int_cores_idle", "+", 100), int_mem_idle: eb("int_mem_idle", "+", 262_144) })).where("str_name", "=", "render-1").execute();
    await expect(handler.applyCompletion(completion(a, 0))).resolves.toMatchObject({ kind: "applied", orphan: true, state: "SUCCEEDED", procReleased: false });
    // Unknown frame and proc: dropped.
    await expect(handler.applyCompletion(completion({ ...a, procId: "gone", frameId: "gone" }, 0))).resolves.toMatchObject({ kind: "dropped" });
    // A report whose proc now runs another frame is a duplicate: nothing changes.
    const b = await bookFrame(t.db, { jobId: job.id, frameName: "0002-render", hostName: "render-1" });
    await expect(handler.applyCompletion(completion({ ...a, procId: b.procId }, 0))).resolves.toMatchObject({ kind: "duplicate" });
    expect((await frame(job.id, "0002-render")).str_state).toBe("RUNNING");
    await handler.applyCompletion(completion(b, 0));
    expect((await host("render-1")).int_cores_idle).toBe(idle);
    const bad = await handler.applyCompletion(create(FrameCompleteReportSchema, { host: renderHost("render-1") })).catch((e: unknown) => e);
    expect((bad as DummyCuebotError).code).toBe("INVALID_REPORT");
  });

  test("sweep marks silent hosts DOWN and puts their frames back to WAITING without a retry", async () => {
    await handler.startup(boot("render-1"));
    await handler.startup(boot("render-2"));
    const job = await submit({ maxRetries: 0, layers: [{ name: "render", range: "1-2" }] });
    await bookFrame(t.db, { jobId: job.id, frameName: "0001-render", hostName: "render-1" });
    await expect(handler.sweep()).resolves.toEqual({ hostsMarkedDown: [], framesRequeued: [] });
    clock += 61_000;
    await handler.status(create(HostReportSchema, { host: renderHost("render-2") }));
    await expect(handler.sweep()).resolves.toEqual({ hostsMarkedDown: ["render-1"], framesRequeued: ["0001-render"] });
    expect(await frame(job.id, "0001-render")).toMatchObject({ str_state: "WAITING", int_exit_status: 399, int_retries: 0 });
    expect(await t.db.selectFrom("proc").selectAll().execute()).toEqual([]);
    const h1 = await host("render-1");
    expect(h1.int_cores_idle).toBe(h1.int_cores);
    // The host reporting again brings it back UP.
    await handler.status(create(HostReportSchema, { host: renderHost("render-1") }));
    expect((await t.db.selectFrom("host_stat").select("str_state").where("pk_host", "=", h1.pk_host).executeTakeFirstOrThrow()).str_state).toBe("UP");
  });

  test("behind a report server: reports are applied before they are answered, failures answer INTERNAL", async () => {
    const server = await createReportServer({ handler });
    const { client, transport } = reportSender(server.port);
    try {
      await client.reportRqdStartup({ bootReport: boot("render-9") });
      expect(server.received.at(-1)).toMatchObject({ kind: "report_rqd_startup", applied: "host render-9 registered" });
      expect((await host("render-9")).int_cores).toBe(400);
      const err = await client.reportRqdStartup({ bootReport: boot("small", { totalMem: 1000n }) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: Code.Internal });
      expect(server.received.at(-1)?.error).toMatch(/could not create host small/);
    } finally {
      transport.close();
      await server.close();
    }
  });
});
