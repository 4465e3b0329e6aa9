import { performance } from "node:perf_hooks";
import type { Kysely } from "kysely";
import type { Database } from "../schema/tables.js";
import { createSmallFarm, type SmallFarm } from "../test-support/small-farm.js";
import { createTestDatabase, stopTestServer, type TestDatabase } from "../testing/test-database.js";
import { gibToKb } from "./units.js";

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

describe("farm model", () => {
  test("hosts carry centicores, KB, GPUs and ALLOC/HOSTNAME/MANUAL tags", async () => {
    const host = await db.selectFrom("host").selectAll().where("pk_host", "=", f.host.id).executeTakeFirstOrThrow();
    expect(host).toMatchObject({
      str_name: "host-a", pk_alloc: f.alloc.id, str_lock_state: "OPEN", int_cores: 800, int_cores_idle: 800,
      int_mem: gibToKb(16), int_mem_idle: gibToKb(16), int_gpus: 1, int_gpus_idle: 1, int_gpu_mem: gibToKb(8), int_thread_mode: 0,
      str_tags: "general host-a general",
    });
    const stat = await db.selectFrom("host_stat").selectAll().where("pk_host", "=", f.host.id).executeTakeFirstOrThrow();
    expect(stat).toMatchObject({ int_mem_total: gibToKb(16), int_mem_free: gibToKb(16), int_gpu_mem_free: gibToKb(8), str_state: "UP", str_os: "linux" });
    const tags = await db.selectFrom("host_tag").select(["str_tag", "str_tag_type"]).where("pk_host", "=", f.host.id).orderBy("str_tag_type").execute();
    expect(tags).toEqual([
      { str_tag: "general", str_tag_type: "ALLOC" },
      { str_tag: "host-a", str_tag_type: "HOSTNAME" },
      { str_tag: "general", str_tag_type: "MANUAL" },
    ]);
    expect(f.alloc.tag).toBe("general");
    const sub = await db.selectFrom("subscription").select(["int_size", "int_burst", "int_cores"]).where("pk_show", "=", f.show.id).executeTakeFirstOrThrow();
    expect(sub).toEqual({ int_size: 10_000, int_burst: 20_000, int_cores: 0 });
  });

  test("many hosts go in with multi-row inserts", async () => {
    const hosts = await f.farm.registerHosts(Array.from({ length: 300 }, (_, i) => ({ name: `bulk-${i}`, alloc: f.alloc, cores: 4, memoryKb: gibToKb(8), lockState: i % 2 ? "LOCKED" : "OPEN", os: "rocky9" })));
    expect(hosts).toHaveLength(300);
    const { count } = await db.selectFrom("host").select((eb) => eb.fn.countAll<number>().as("count")).where("str_lock_state", "=", "LOCKED").executeTakeFirstOrThrow();
    expect(count).toBe(150);
    expect(await db.selectFrom("host_stat").select("str_os").where("pk_host", "=", hosts[7]!.id).execute()).toEqual([{ str_os: "rocky9" }]);
  });

  test("a job's layers keep command, range, chunking, minima, tags, services, limits and env", async () => {
    await f.farm.createLimit({ name: "nuke", maxValue: 10 });
    const folder = await f.farm.createFolder({ show: f.show, name: "comp", maxCores: 50, maxGpus: 2 });
    expect(await db.selectFrom("folder_resource").select(["int_max_cores", "int_max_gpus"]).where("pk_folder", "=", folder.id).executeTakeFirstOrThrow()).toEqual({ int_max_cores: 5000, int_max_gpus: 2 });
    const job = await f.farm.submitJob({
      show: f.show, facility: f.facility, folder, name: "testshow-shot01-alice_comp", user: "alice", priority: 50, maxCores: 20, os: "linux",
      env: { SHOW: "testshow" },
      layers: [{
        name: "comp", command: "nuke -x comp.nk #IFRAME#", range: "1-10", chunkSize: 3, minCores: 2.5, maxCores: 4,
        minMemoryKb: gibToKb(2), minGpus: 1, minGpuMemoryKb: gibToKb(1), tags: ["general", "nuke"], services: ["nuke", "shell"],
        limits: ["nuke"], threadable: false, env: { LAYER: "comp" },
      }],
    });
    expect(job.frameCount).toBe(4);
    const layer = await db.selectFrom("layer").selectAll().where("pk_layer", "=", job.layers.comp!.id).executeTakeFirstOrThrow();
    expect(layer).toMatchObject({
      str_cmd: "nuke -x comp.nk #IFRAME#", str_range: "1-10", int_chunk_size: 3, int_cores_min: 250, int_cores_max: 400,
      int_mem_min: gibToKb(2), int_gpus_min: 1, int_gpu_mem_min: gibToKb(1), str_tags: "general | nuke", str_services: "nuke,shell",
      b_threadable: false, str_type: "Render", int_dispatch_order: 1,
    });
    const frames = await db.selectFrom("frame").select(["str_name", "int_number", "int_dispatch_order", "int_layer_order", "str_state", "int_version", "int_exit_status"]).where("pk_job", "=", job.id).orderBy("int_dispatch_order").execute();
    expect(frames.map((r) => [r.str_name, r.int_number, r.int_dispatch_order])).toEqual([["0001-comp", 1, 0], ["0004-comp", 4, 1], ["0007-comp", 7, 2], ["0010-comp", 10, 3]]);
    expect(frames[0]).toMatchObject({ int_layer_order: 1, str_state: "WAITING", int_version: 0, int_exit_status: -1 });
    const jobRow = await db.selectFrom("job").innerJoin("job_resource", "job_resource.pk_job", "job.pk_job")
      .select(["job.str_state", "job.str_show", "job.str_user", "job.str_os", "job.pk_folder", "job.int_frame_count", "job.int_layer_count", "job_resource.int_priority", "job_resource.int_max_cores"])
      .where("job.pk_job", "=", job.id).executeTakeFirstOrThrow();
    expect(jobRow).toEqual({ str_state: "PENDING", str_show: "testshow", str_user: "alice", str_os: "linux", pk_folder: folder.id, int_frame_count: 4, int_layer_count: 1, int_priority: 50, int_max_cores: 2000 });
    const limits = await db.selectFrom("layer_limit").innerJoin("limit_record", "limit_record.pk_limit_record", "layer_limit.pk_limit_record").select(["str_name", "int_max_value"]).where("pk_layer", "=", layer.pk_layer).execute();
    expect(limits).toEqual([{ str_name: "nuke", int_max_value: 10 }]);
    expect(await db.selectFrom("job_env").select(["str_key", "str_value"]).where("pk_job", "=", job.id).execute()).toEqual([{ str_key: "SHOW", str_value: "testshow" }]);
    expect(await db.selectFrom("layer_env").select(["str_key", "str_value"]).where("pk_layer", "=", layer.pk_layer).execute()).toEqual([{ str_key: "LAYER", str_value: "comp" }]);
    expect(await db.selectFrom("point").select(["pk_show", "pk_dept"]).execute()).toEqual([{ pk_show: f.show.id, pk_dept: folder.deptId }]);
  });

  test("a bad job is refused as a whole", async () => {
    await expect(f.farm.submitJob({ show: f.show, facility: f.facility, name: "bad", layers: [{ name: "a", range: "1-3", limits: ["missing"] }] })).rejects.toThrow("no limit named missing");
    await expect(f.farm.submitJob({ show: f.show, facility: f.facility, name: "bad", layers: [{ name: "a", range: "1-x" }] })).rejects.toThrow("unrecognized frame range");
    await expect(f.farm.submitJob({ show: f.show, facility: f.facility, name: "bad", layers: [{ name: "a", range: "1" }], dependencies: [{ type: "LAYER_ON_LAYER", layer: "a", onLayer: "b" }] })).rejects.toThrow("unknown layer b");
    expect(await db.selectFrom("job").select("pk_job").execute()).toEqual([]);
    expect(await db.selectFrom("frame").select("pk_frame").execute()).toEqual([]);
  });

  test("bulk: one layer of 100 000 frames", async () => {
    const t0 = performance.now();
    const job = await f.farm.submitJob({ show: f.show, facility: f.facility, name: "bulk", layers: [{ name: "render", range: "1-100000" }] });
    const seconds = (performance.now() - t0) / 1000;
    console.log(`cuebot-db: created 100 000 frames in ${seconds.toFixed(2)} s`);
    const { count } = await db.selectFrom("frame").select((eb) => eb.fn.countAll<number>().as("count")).where("pk_job", "=", job.id).where("str_state", "=", "WAITING").executeTakeFirstOrThrow();
    expect(count).toBe(100_000);
    expect(await db.selectFrom("layer_stat").select(["int_total_count", "int_waiting_count"]).where("pk_layer", "=", job.layers.render!.id).executeTakeFirstOrThrow()).toEqual({ int_total_count: 100_000, int_waiting_count: 100_000 });
    expect(await db.selectFrom("job_stat").select("int_waiting_count").where("pk_job", "=", job.id).executeTakeFirstOrThrow()).toEqual({ int_waiting_count: 100_000 });
    const last = await db.selectFrom("frame").select(["str_name", "int_dispatch_order"]).where("pk_job", "=", job.id).orderBy("int_dispatch_order", "desc").limit(1).executeTakeFirstOrThrow();
    expect(last).toEqual({ str_name: "100000-render", int_dispatch_order: 99_999 });
  });
});
