import { sql, type Kysely } from "kysely";
import type { Database } from "../schema/tables.js";
import { createSmallFarm, type SmallFarm } from "../test-support/small-farm.js";
import { createTestDatabase, stopTestServer, type TestDatabase } from "../testing/test-database.js";

let testDb: TestDatabase;
let db: Kysely<Database>;
let f: SmallFarm;

beforeEach(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  f = await createSmallFarm(db);
});
afterEach(() => testDb.destroy());
afterAll(() => stopTestServer());

const stateCounts = ["int_waiting_count", "int_running_count", "int_dead_count", "int_depend_count", "int_succeeded_count", "int_eaten_count"] as const;

async function layerCounts(layerId: string) {
  return db.selectFrom("layer_stat").select([...stateCounts, "int_total_count"]).where("pk_layer", "=", layerId).executeTakeFirstOrThrow();
}
async function jobCounts(jobId: string) {
  return db.selectFrom("job_stat").select([...stateCounts]).where("pk_job", "=", jobId).executeTakeFirstOrThrow();
}
async function frameStates(layerId: string): Promise<string[]> {
  const rows = await db.selectFrom("frame").select("str_state").where("pk_layer", "=", layerId).orderBy("int_dispatch_order").execute();
  return rows.map((r) => r.str_state);
}
async function setState(layerId: string, number: number, state: string): Promise<void> {
  await db.updateTable("frame").set({ str_state: state }).where("pk_layer", "=", layerId).where("int_number", "=", number).execute();
}

describe("rows created by insert triggers", () => {
  test("a folder gets folder_resource and folder_level; a job and its layers get stat, resource, usage and mem rows", async () => {
    const folderId = f.show.rootFolder.id;
    expect(await db.selectFrom("folder_resource").select(["int_max_cores", "int_cores"]).where("pk_folder", "=", folderId).execute()).toEqual([{ int_max_cores: -1, int_cores: 0 }]);
    expect(await db.selectFrom("folder_level").select("int_level").where("pk_folder", "=", folderId).execute()).toEqual([{ int_level: 0 }]);
    const sub = await f.farm.createFolder({ show: f.show, name: "lighting" });
    expect(await db.selectFrom("folder_level").select("int_level").where("pk_folder", "=", sub.id).execute()).toEqual([{ int_level: 1 }]);

    const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "j1", layers: [{ name: "a", range: "1-2" }, { name: "b", range: "1" }] });
    for (const table of ["job_stat", "job_resource", "job_usage", "job_mem"] as const) {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE pk_job = ${job.id}`.execute(db);
      expect([table, rows[0]!.n]).toEqual([table, 1]);
    }
    for (const table of ["layer_stat", "layer_resource", "layer_usage", "layer_mem"] as const) {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE pk_job = ${job.id}`.execute(db);
      expect([table, rows[0]!.n]).toEqual([table, 2]);
    }
  });
});

describe("frame state counts", () => {
  test("every state change moves one unit between the int_<state>_count columns of layer_stat and job_stat", async () => {
    const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "counts", layers: [{ name: "render", range: "1-4" }, { name: "other", range: "1-2" }] });
    const layer = job.layers.render!.id;
    expect(await layerCounts(layer)).toMatchObject({ int_total_count: 4, int_waiting_count: 4, int_running_count: 0 });
    expect(await jobCounts(job.id)).toMatchObject({ int_waiting_count: 6 });

    await setState(layer, 1, "RUNNING");
    expect(await layerCounts(layer)).toMatchObject({ int_waiting_count: 3, int_running_count: 1 });
    expect(await jobCounts(job.id)).toMatchObject({ int_waiting_count: 5, int_running_count: 1 });
    const started = await db.selectFrom("layer_stat").select(["ts_started", "ts_stopped"]).where("pk_layer", "=", layer).executeTakeFirstOrThrow();
    expect(started.ts_started).toBeInstanceOf(Date);
    expect(started.ts_stopped).toBeNull();

    await setState(layer, 1, "SUCCEEDED");
    await setState(layer, 2, "RUNNING");
    await setState(layer, 2, "DEAD");
    expect(await layerCounts(layer)).toMatchObject({ int_waiting_count: 2, int_running_count: 0, int_succeeded_count: 1, int_dead_count: 1, int_total_count: 4 });
    expect(await jobCounts(job.id)).toMatchObject({ int_waiting_count: 4, int_running_count: 0, int_succeeded_count: 1, int_dead_count: 1 });
    expect((await db.selectFrom("layer_stat").select("ts_stopped").where("pk_layer", "=", layer).executeTakeFirstOrThrow()).ts_stopped).toBeInstanceOf(Date);
    // The other layer is untouched.
    expect(await layerCounts(job.layers.other!.id)).toMatchObject({ int_waiting_count: 2, int_running_count: 0 });
  });

  test("EATEN of a SUCCEEDED frame stays SUCCEEDED; frames leaving SETUP are not counted by the trigger", async () => {
    const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "setup", layers: [{ name: "render", range: "1-2" }] });
    const layer = job.layers.render!.id;
    await setState(layer, 1, "SUCCEEDED");
    await setState(layer, 1, "EATEN");
    expect(await frameStates(layer)).toEqual(["SUCCEEDED", "WAITING"]);
    await db.insertInto("frame").values({ pk_frame: "setup-frame", pk_layer: layer, pk_job: job.id, str_name: "0003-render", str_state: "SETUP", int_number: 3, int_layer_order: 1 }).execute();
    const before = await layerCounts(layer);
    await setState(layer, 3, "WAITING");
    expect(await layerCounts(layer)).toEqual(before);
    const frame = await db.selectFrom("frame").select(["str_state", "ts_eligible"]).where("pk_frame", "=", "setup-frame").executeTakeFirstOrThrow();
    expect(frame.str_state).toBe("WAITING");
    expect(frame.ts_eligible).toBeInstanceOf(Date);
  });
});

describe("dependencies", () => {
  test("layer on layer: frames start in DEPEND and the depend count switches them to WAITING", async () => {
    const job = await f.farm.submitJob({
      show: f.show, facility: f.facility, name: "lol",
      layers: [{ name: "render", range: "1-3" }, { name: "comp", range: "1-3" }],
      dependencies: [{ type: "LAYER_ON_LAYER", layer: "comp", onLayer: "render" }],
    });
    const comp = job.layers.comp!.id;
    expect(await frameStates(comp)).toEqual(["DEPEND", "DEPEND", "DEPEND"]);
    expect(await layerCounts(comp)).toMatchObject({ int_depend_count: 3, int_waiting_count: 0, int_total_count: 3 });
    expect(await jobCounts(job.id)).toMatchObject({ int_depend_count: 3, int_waiting_count: 3 });
    const versions = await db.selectFrom("frame").select("int_version").where("pk_layer", "=", comp).execute();

    expect(await f.farm.satisfyDepend(job.dependIds[0]!)).toBe(3);
    expect(await frameStates(comp)).toEqual(["WAITING", "WAITING", "WAITING"]);
    expect(await layerCounts(comp)).toMatchObject({ int_depend_count: 0, int_waiting_count: 3 });
    expect(await jobCounts(job.id)).toMatchObject({ int_depend_count: 0, int_waiting_count: 6 });
    const after = await db.selectFrom("frame").select("int_version").where("pk_layer", "=", comp).execute();
    expect(after.map((r) => r.int_version)).toEqual(versions.map((r) => r.int_version! + 1));
    expect(await db.selectFrom("depend").select(["b_active"]).where("pk_depend", "=", job.dependIds[0]!).execute()).toEqual([{ b_active: false }]);
    // Satisfying twice changes nothing.
    expect(await f.farm.satisfyDepend(job.dependIds[0]!)).toBe(0);
  });

  test("a new dependency on a WAITING frame moves it to DEPEND", async () => {
    const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "w2d", layers: [{ name: "render", range: "1-2" }] });
    const layer = job.layers.render!.id;
    await db.updateTable("frame").set((eb) => ({ int_depend_count: eb("int_depend_count", "+", 1) })).where("pk_layer", "=", layer).where("int_number", "=", 2).execute();
    expect(await frameStates(layer)).toEqual(["WAITING", "DEPEND"]);
    expect(await layerCounts(layer)).toMatchObject({ int_waiting_count: 1, int_depend_count: 1 });
  });

  test("frame by frame: each frame waits for its counterpart only", async () => {
    const job = await f.farm.submitJob({
      show: f.show, facility: f.facility, name: "fbf",
      layers: [{ name: "sim", range: "1-4" }, { name: "mesh", range: "2-5" }],
      dependencies: [{ type: "FRAME_BY_FRAME", layer: "mesh", onLayer: "sim" }],
    });
    const mesh = job.layers.mesh!.id;
    // Frame 5 has no counterpart in sim (1-4), so it is free to run.
    expect(await frameStates(mesh)).toEqual(["DEPEND", "DEPEND", "DEPEND", "WAITING"]);
    const [parent, ...children] = job.dependIds;
    expect(children).toHaveLength(3);
    const firstChild = await db.selectFrom("depend").select(["str_type", "pk_parent"]).where("pk_depend", "=", children[0]!).executeTakeFirstOrThrow();
    expect(firstChild).toEqual({ str_type: "FRAME_ON_FRAME", pk_parent: parent });
    expect(await f.farm.satisfyDepend(children[0]!)).toBe(1);
    expect(await frameStates(mesh)).toEqual(["WAITING", "DEPEND", "DEPEND", "WAITING"]);
    expect(await f.farm.satisfyDepend(parent!)).toBe(2);
    expect(await frameStates(mesh)).toEqual(["WAITING", "WAITING", "WAITING", "WAITING"]);
    expect(await layerCounts(mesh)).toMatchObject({ int_waiting_count: 4, int_depend_count: 0 });
  });

  test("a layer can wait on a layer of an earlier job", async () => {
    const first = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "first", layers: [{ name: "cache", range: "1-2" }] });
    const second = await f.farm.submitJob({
      show: f.show, facility: f.facility, name: "second", layers: [{ name: "render", range: "1-2" }],
      dependencies: [{ type: "LAYER_ON_LAYER", layer: "render", onLayer: first.layers.cache! }],
    });
    expect(await frameStates(second.layers.render!.id)).toEqual(["DEPEND", "DEPEND"]);
    const dep = await db.selectFrom("depend").select(["pk_job_depend_on", "pk_job_depend_er"]).where("pk_depend", "=", second.dependIds[0]!).executeTakeFirstOrThrow();
    expect(dep).toEqual({ pk_job_depend_on: first.id, pk_job_depend_er: second.id });
  });
});

describe("guards", () => {
  test("a host's idle cores, memory, GPUs and GPU memory never go negative", async () => {
    const host = () => db.updateTable("host").where("pk_host", "=", f.host.id);
    await host().set((eb) => ({ int_cores_idle: eb("int_cores_idle", "-", 800) })).execute();
    await expect(host().set((eb) => ({ int_cores_idle: eb("int_cores_idle", "-", 1) })).execute()).rejects.toThrow("unable to allocate additional core units");
    await expect(host().set((eb) => ({ int_mem_idle: eb("int_mem_idle", "-", 16 * 1024 * 1024 + 1) })).execute()).rejects.toThrow("unable to allocate additional memory");
    await expect(host().set((eb) => ({ int_gpus_idle: eb("int_gpus_idle", "-", 2) })).execute()).rejects.toThrow("unable to allocate additional GPU units");
    await expect(host().set((eb) => ({ int_gpu_mem_idle: eb("int_gpu_mem_idle", "-", 8 * 1024 * 1024 + 1) })).execute()).rejects.toThrow("unable to allocate additional GPU memory");
    const row = await db.selectFrom("host").select(["int_cores_idle", "int_mem_idle"]).where("pk_host", "=", f.host.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ int_cores_idle: 0, int_mem_idle: 16 * 1024 * 1024 });
  });

  test("a subscription cannot grow past its burst unless the burst changes in the same update", async () => {
    const sub = () => db.updateTable("subscription").where("pk_show", "=", f.show.id);
    await sub().set({ int_cores: 20_000 }).execute();
    await expect(sub().set({ int_cores: 20_001 }).execute()).rejects.toThrow("subscription has exceeded burst size");
    // The recompute's bypass: set burst together with cores, then restore it.
    await sub().set({ int_cores: 25_000, int_burst: 25_000 }).execute();
    await sub().set({ int_burst: 20_000 }).execute();
    const row = await db.selectFrom("subscription").select(["int_cores", "int_burst", "float_tier"]).where("pk_show", "=", f.show.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ int_cores: 25_000, int_burst: 20_000, float_tier: 2.5 });
  });

  test("a job cannot exceed its max cores or max GPUs", async () => {
    const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "capped", maxCores: 4, maxGpus: 1, layers: [{ name: "render", range: "1" }] });
    const res = () => db.updateTable("job_resource").where("pk_job", "=", job.id);
    await res().set({ int_cores: 400 }).execute();
    await expect(res().set({ int_cores: 401 }).execute()).rejects.toThrow("job has exceeded max cores");
    await expect(res().set({ int_gpus: 2 }).execute()).rejects.toThrow("job has exceeded max GPU units");
    expect(await db.selectFrom("job_resource").select(["int_cores", "int_max_cores", "int_gpus"]).where("pk_job", "=", job.id).executeTakeFirstOrThrow()).toEqual({ int_cores: 400, int_max_cores: 400, int_gpus: 0 });
  });

  test("a proc needs cores; raising its memory reservation is charged to the host", async () => {
    const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "procs", layers: [{ name: "render", range: "1" }] });
    const frame = await db.selectFrom("frame").select("pk_frame").where("pk_job", "=", job.id).executeTakeFirstOrThrow();
    const proc = { pk_proc: "p1", pk_host: f.host.id, pk_job: job.id, pk_show: f.show.id, pk_layer: job.layers.render!.id, pk_frame: frame.pk_frame, int_mem_reserved: 1000 };
    await expect(db.insertInto("proc").values({ ...proc, int_cores_reserved: 0 }).execute()).rejects.toThrow("failed to allocate proc, tried to allocate 0 cores");
    await db.insertInto("proc").values({ ...proc, int_cores_reserved: 100 }).execute();
    const idle = async () => (await db.selectFrom("host").select("int_mem_idle").where("pk_host", "=", f.host.id).executeTakeFirstOrThrow()).int_mem_idle;
    const before = await idle();
    await db.updateTable("proc").set({ int_mem_reserved: 5000 }).where("pk_proc", "=", "p1").execute();
    expect(await idle()).toBe(before - 4000);
    // ON CONFLICT (pk_frame) has its unique target.
    const again = await db.insertInto("proc").values({ ...proc, pk_proc: "p2", int_cores_reserved: 100 }).onConflict((oc) => oc.column("pk_frame").doNothing()).executeTakeFirst();
    expect(Number(again.numInsertedOrUpdatedRows)).toBe(0);
  });
});

describe("vs_waiting", () => {
  test("lists a show while it has a pending, unpaused job with waiting frames and core head-room", async () => {
    const shows = async () => (await db.selectFrom("vs_waiting").select("pk_show").execute()).map((r) => r.pk_show);
    expect(await shows()).toEqual([]);
    const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "vs", layers: [{ name: "render", range: "1-2" }] });
    expect(await shows()).toEqual([f.show.id]);
    await db.updateTable("job").set({ b_paused: true }).where("pk_job", "=", job.id).execute();
    expect(await shows()).toEqual([]);
    await db.updateTable("job").set({ b_paused: false }).where("pk_job", "=", job.id).execute();
    // Less than one core of head-room hides the show (int_max_cores 0 is not "unlimited" here).
    await db.updateTable("job_resource").set({ int_max_cores: 0 }).where("pk_job", "=", job.id).execute();
    expect(await shows()).toEqual([]);
    await db.updateTable("job_resource").set({ int_max_cores: 10_000 }).where("pk_job", "=", job.id).execute();
    await db.updateTable("frame").set({ str_state: "RUNNING" }).where("pk_job", "=", job.id).execute();
    expect(await shows()).toEqual([]);
  });
});
