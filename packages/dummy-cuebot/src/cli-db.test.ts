import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@opencue-ts/cuebot-db";
import { BootReportSchema, create, HardwareState, RunFrameSchema } from "@opencue-ts/proto";
import { runCli } from "./cli.js";
import { createDbReportHandler } from "./db/db-report-handler.js";
import { bookFrame } from "./test-support/booking.js";
import { captureIo } from "./test-support/capture-io.js";
import { startRecordingRqd } from "./test-support/recording-rqd.js";

describe("submit, jobs and kill-frame on a Cuebot database", () => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dummy-cuebot-spec-"));
  });
  beforeEach(async () => {
    t = await createTestDatabase();
  });
  afterEach(() => t.destroy());

  const cli = async (...args: string[]) => {
    const io = captureIo();
    const code = await runCli(args, io);
    return { code, out: io.out(), err: io.err() };
  };

  test("submit from a YAML spec creates what the job needs; jobs prints the progress table", async () => {
    const spec = join(dir, "job.yaml");
    await writeFile(spec, `show: demo
name: demo-shot01-render
maxRetries: 1
priority: 5
layers:
  - { name: sim, command: "echo sim #IFRAME#", range: 1-3, memory: 256MiB }
  - { name: render, command: "sleep 1", range: 1-4, chunk: 2, cores: 2, memory: 1GiB, tags: [general, big] }
depends:
  - { layer: render, on: sim }
`);
    const sub = await cli("submit", "--database", t.connectionString, spec);
    expect(sub).toMatchObject({ code: 0, err: "" });
    expect(sub.out).toMatch(/^Submitted job demo-shot01-render \([0-9a-f-]{36}\): 5 frame\(s\) in 2 layer\(s\)\n$/);
    const show = await t.db.selectFrom("show").select(["str_name", "b_scheduler_managed"]).execute();
    expect(show).toEqual([{ str_name: "demo", b_scheduler_managed: true }]);
    const sub1 = await t.db.selectFrom("subscription").innerJoin("alloc", "alloc.pk_alloc", "subscription.pk_alloc").select(["alloc.str_name", "alloc.str_tag", "subscription.int_burst"]).execute();
    expect(sub1).toEqual([{ str_name: "local.general", str_tag: "general", int_burst: 100_000 }]);
    const layers = await t.db.selectFrom("layer").select(["str_name", "int_cores_min", "int_mem_min", "str_tags", "int_chunk_size", "str_cmd"]).orderBy("int_dispatch_order").execute();
    expect(layers).toEqual([
      { str_name: "sim", int_cores_min: 100, int_mem_min: 262_144, str_tags: "general", int_chunk_size: 1, str_cmd: "echo sim #IFRAME#" },
      { str_name: "render", int_cores_min: 200, int_mem_min: 1_048_576, str_tags: "general | big", int_chunk_size: 2, str_cmd: "sleep 1" },
    ]);
    expect(await t.db.selectFrom("job").select(["int_max_retries", "str_state"]).executeTakeFirstOrThrow()).toEqual({ int_max_retries: 1, str_state: "PENDING" });

    const jobs = await cli("jobs", "--database", t.connectionString, "--layers");
    expect(jobs.code).toBe(0);
    expect(jobs.out.split("\n").map((l) => l.trimEnd())).toEqual([
      "JOB                 STATE    DONE  %   RUNNING  WAITING  DEPEND  DEAD",
      "------------------  -------  ----  --  -------  -------  ------  ----",
      "demo-shot01-render  PENDING  0/5   0%  0        3        2       0",
      "  sim                        0/3   0%  0        3        0       0",
      "  render                     0/2   0%  0        0        2       0",
      "",
    ]);
    const json = JSON.parse((await cli("jobs", "--database", t.connectionString, "--json")).out) as { name: string; total: number; layers: unknown[] }[];
    expect(json.map((j) => [j.name, j.total, j.layers.length])).toEqual([["demo-shot01-render", 5, 2]]);
    // A second job with the same name while the first is pending is refused.
    expect(await cli("submit", "--database", t.connectionString, spec)).toMatchObject({ code: 1, err: expect.stringMatching(/INVALID_SPEC: a pending job named demo-shot01-render already exists/) as unknown });
  });

  test("submit from flags, frame-by-frame depends; bad specs are named", async () => {
    const ok = await cli("submit", "--database", t.connectionString, "--json", "--show", "s", "--name", "j", "--max-retries", "0",
      "--layer", "a", "--command", "echo a", "--range", "1-3", "--layer", "b", "--command", "echo b", "--range", "1-3", "--cores", "2", "--depend", "b:a:frame");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ name: "j", frames: 6, layers: [{ name: "a", frames: 3 }, { name: "b", frames: 3 }] });
    const types = await t.db.selectFrom("depend").select("str_type").orderBy("str_type").execute();
    expect(types.map((d) => d.str_type)).toEqual(["FRAME_BY_FRAME", "FRAME_ON_FRAME", "FRAME_ON_FRAME", "FRAME_ON_FRAME"]);

    expect(await cli("submit", "--database", t.connectionString, "--show", "s", "--name", "k", "--command", "x")).toMatchObject({ code: 2, err: expect.stringContaining("--command must follow a --layer") as unknown });
    expect(await cli("submit", "--database", t.connectionString, "--show", "s", "--name", "k", "--layer", "a", "--command", "x", "--range", "1-x")).toMatchObject({ code: 1, err: expect.stringContaining("INVALID_SPEC: layer a: bad range") as unknown });
    expect(await cli("submit", "--database", t.connectionString, "--show", "s", "--name", "k", "--layer", "a", "--command", "x", "--range", "1", "--depend", "a:zz")).toMatchObject({ code: 1, err: expect.stringContaining("depends on unknown layer zz") as unknown });
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "show: s\nname: k\nlayers:\n  - { name: a, range: 1 }\n");
    expect(await cli("submit", "--database", t.connectionString, bad)).toMatchObject({ code: 1, err: expect.stringContaining(`INVALID_SPEC: layers[0]: "command" is required`) as unknown });
    await writeFile(bad, "show: [unclosed");
    expect(await cli("submit", "--database", t.connectionString, bad)).toMatchObject({ code: 1, err: expect.stringContaining("not valid YAML or JSON") as unknown });
    expect(await cli("submit", "--show", "s")).toMatchObject({ code: 2 });
    // Nothing from the failed submits reached the database.
    expect((await t.db.selectFrom("job").select("str_name").execute()).map((j) => j.str_name)).toEqual(["j"]);
  });

  test("kill-frame asks the RQD the frame runs on to kill it", async () => {
    const rqd = await startRecordingRqd();
    try {
      const handler = createDbReportHandler({ db: t.db });
      await handler.startup(create(BootReportSchema, { host: { name: "127.0.0.1", facility: "local", numProcs: 1, coresPerProc: 400, totalMem: 8_388_608n, freeMem: 8_000_000n, state: HardwareState.UP } }));
      expect((await cli("submit", "--database", t.connectionString, "--show", "s", "--name", "j", "--layer", "a", "--command", "sleep 100", "--range", "1-2", "--memory", "256MiB")).code).toBe(0);
      const job = await t.db.selectFrom("job").select("pk_job").executeTakeFirstOrThrow();
      const b = await bookFrame(t.db, { jobId: job.pk_job, frameName: "0001-a", hostName: "127.0.0.1" });
      // An RQD that does not run the frame answers NOT_FOUND, printed as the gRPC status.
      expect(await cli("kill-frame", "--database", t.connectionString, "--rqd-port", String(rqd.port), "j", "0001-a")).toMatchObject({ code: 1, err: `NOT_FOUND: Could not find frame with id ${b.frameId}\n` });
      rqd.frames.set(b.frameId, create(RunFrameSchema, { frameId: b.frameId, resourceId: b.procId, frameName: "0001-a" }));
      const killed = await cli("kill-frame", "--database", t.connectionString, "--rqd-port", String(rqd.port), "j", "0001-a", "--reason", "test kill");
      expect(killed).toMatchObject({ code: 0, err: "" });
      expect(killed.out).toBe(`Asked RQD on 127.0.0.1:${rqd.port} to kill 0001-a (${b.frameId})\n`);
      expect(rqd.calls.filter((c) => c.method === "KillRunningFrame").map((c) => c.request).at(-1)).toMatchObject({ frameId: b.frameId, message: "test kill" });
      expect(await cli("kill-frame", "--database", t.connectionString, "j", "0002-a")).toMatchObject({ code: 1, err: expect.stringContaining("NOT_RUNNING") as unknown });
      expect(await cli("kill-frame", "--database", t.connectionString, "j", "0009-a")).toMatchObject({ code: 1, err: expect.stringContaining("NOT_FOUND: no frame 0009-a in job j") as unknown });
    } finally {
      await rqd.close();
    }
  });
});
