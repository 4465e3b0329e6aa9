// The whole system on one machine, frame after frame: openrqd agents report to the DB-backed
// dummy-cuebot, cue-scheduler books waiting frames onto them from the same PostgreSQL.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import { processesMentioning, startLocalFarm, type LocalFarm } from "./test-support/local-farm.js";

const AGENTS = [
  { ip: "127.0.0.31", cores: 2, memory: "4GB", tags: ["general"] },
  { ip: "127.0.0.32", cores: 2, memory: "4GB", tags: ["general"] },
  { ip: "127.0.0.33", cores: 2, memory: "4GB", tags: ["solo"] },
];

let farm: LocalFarm;
let specs = 0;

/** Submits a job from a spec (YAML as JSON) through the dummy-cuebot CLI; frame commands carry a marker so leftovers can be found. */
async function submit(spec: Record<string, unknown> & { name: string; layers: Record<string, unknown>[] }): Promise<void> {
  const file = join(farm.runDir, `spec-${++specs}.json`);
  const mark = (cmd: unknown) => `${String(cmd)}; : ${farm.runDir}`;
  writeFileSync(file, JSON.stringify({
    show: "e2e", user: userInfo().username, logDir: farm.frameLogDir, ...spec,
    layers: spec.layers.map((l) => ({ memory: "256MiB", ...l, command: mark(l["command"]) })),
  }));
  const r = await farm.cuebotCli("submit", "--database", farm.databaseUrl, file);
  expect(r).toMatchObject({ code: 0, stderr: "" });
}

const frames = (jobName: string) =>
  farm.db.selectFrom("frame").innerJoin("job", "job.pk_job", "frame.pk_job").innerJoin("layer", "layer.pk_layer", "frame.pk_layer")
    .select(["frame.str_name", "frame.str_state", "frame.str_host", "frame.int_exit_status", "frame.int_retries", "frame.ts_started", "frame.ts_stopped", "layer.str_name as layer"])
    .where("job.str_name", "=", jobName).orderBy("frame.str_name").execute();

beforeAll(async () => {
  farm = await startLocalFarm(AGENTS);
  farm.startScheduler();
}, 90_000);

afterAll(async () => {
  if (farm) await farm.stop();
});

test("every frame succeeds, spread over the agents", async () => {
  await submit({ name: "e2e-all-ok", layers: [{ name: "render", command: "sleep 1; echo frame #IFRAME#", range: "1-6" }] });
  const job = await farm.waitForJob("e2e-all-ok", (j) => j.state === "FINISHED");
  expect(job).toMatchObject({ total: 6, succeeded: 6, dead: 0, running: 0 });
  const rows = await frames("e2e-all-ok");
  expect(rows.every((f) => f.str_state === "SUCCEEDED" && f.int_exit_status === 0)).toBe(true);
  // "general" is the allocation's tag, which every host carries: the frames spread over several agents.
  const used = new Set(rows.map((f) => f.str_host));
  expect(used.size).toBeGreaterThanOrEqual(2);
  expect([...used].every((h) => AGENTS.some((a) => a.ip === h))).toBe(true);
  // Everything booked was released: no proc, every host idle again.
  expect(await farm.db.selectFrom("proc").selectAll().execute()).toEqual([]);
  const hosts = await farm.db.selectFrom("host").select(["int_cores", "int_cores_idle", "int_mem", "int_mem_idle"]).execute();
  expect(hosts.every((h) => h.int_cores_idle === h.int_cores && h.int_mem_idle === h.int_mem)).toBe(true);
});

test("a dependency chain runs in order: frame by frame, then layer on layer", async () => {
  await submit({
    name: "e2e-chain",
    layers: [
      { name: "sim", command: "sleep 1", range: "1-3" },
      { name: "render", command: "sleep 1", range: "1-3" },
      { name: "comp", command: "echo comp", range: "1" },
    ],
    depends: [{ layer: "render", on: "sim", type: "FRAME_BY_FRAME" }, { layer: "comp", on: "render" }],
  });
  await farm.waitForJob("e2e-chain", (j) => j.state === "FINISHED");
  const rows = await frames("e2e-chain");
  const at = (name: string) => rows.find((f) => f.str_name === name)!;
  for (const n of ["0001", "0002", "0003"]) {
    expect(at(`${n}-render`).ts_started!.getTime()).toBeGreaterThanOrEqual(at(`${n}-sim`).ts_stopped!.getTime());
  }
  const lastRender = Math.max(...rows.filter((f) => f.layer === "render").map((f) => f.ts_stopped!.getTime()));
  expect(at("0001-comp").ts_started!.getTime()).toBeGreaterThanOrEqual(lastRender);
  expect(rows.every((f) => f.str_state === "SUCCEEDED")).toBe(true);
});

test("a failing frame is retried by the job's rules, then DEAD; the job stays PENDING", async () => {
  await submit({ name: "e2e-fails", maxRetries: 1, layers: [{ name: "render", command: "echo failing; exit 3", range: "1" }] });
  const job = await farm.waitForJob("e2e-fails", (j) => j.dead === 1);
  expect(job).toMatchObject({ state: "PENDING", dead: 1, succeeded: 0, running: 0, waiting: 0 });
  expect((await frames("e2e-fails"))[0]).toMatchObject({ str_state: "DEAD", int_exit_status: 3, int_retries: 1 });
  // It ran twice: the first run and one retry.
  const usage = await farm.db.selectFrom("job_usage").innerJoin("job", "job.pk_job", "job_usage.pk_job").select("job_usage.int_frame_fail_count").where("job.str_name", "=", "e2e-fails").executeTakeFirstOrThrow();
  expect(usage.int_frame_fail_count).toBe(2);
});

test("a frame killed through dummy-cuebot ends DEAD when the job allows no retry", async () => {
  await submit({ name: "e2e-kill", maxRetries: 0, layers: [{ name: "render", command: "sleep 60", range: "1" }] });
  // Running on an agent that already reported it (its proc has been pinged by a status report).
  await farm.waitFor("the frame to run", async () => {
    const p = await farm.db.selectFrom("proc").innerJoin("job", "job.pk_job", "proc.pk_job").select("proc.int_mem_max_used").where("job.str_name", "=", "e2e-kill").executeTakeFirst();
    return p !== undefined && p.int_mem_max_used > 0;
  });
  const killed = await farm.cuebotCli("kill-frame", "--database", farm.databaseUrl, "--rqd-port", String(farm.rqdPort), "e2e-kill", "0001-render", "--reason", "e2e");
  expect(killed).toMatchObject({ code: 0, stderr: "" });
  const job = await farm.waitForJob("e2e-kill", (j) => j.dead === 1, 30_000);
  expect(job.running).toBe(0);
  const f = (await frames("e2e-kill"))[0]!;
  expect(f.str_state).toBe("DEAD");
  expect(f.int_exit_status).not.toBe(0);
});

test("an agent killed mid-frame comes back, re-adopts the frame and reports it; the job finishes", async () => {
  await submit({ name: "e2e-agent-crash", layers: [{ name: "render", command: "sleep 6; echo survived", range: "1", tags: ["solo"] }] });
  await farm.waitFor("the frame to run on the solo host", async () => {
    const f = (await frames("e2e-agent-crash"))[0];
    const p = await farm.db.selectFrom("proc").innerJoin("job", "job.pk_job", "proc.pk_job").select("proc.int_mem_max_used").where("job.str_name", "=", "e2e-agent-crash").executeTakeFirst();
    return f?.str_state === "RUNNING" && p !== undefined && p.int_mem_max_used > 0;
  });
  await farm.killAgent(2, "SIGKILL");
  await farm.startAgent(2);
  const job = await farm.waitForJob("e2e-agent-crash", (j) => j.state === "FINISHED", 60_000);
  expect(job).toMatchObject({ succeeded: 1, dead: 0 });
  expect((await frames("e2e-agent-crash"))[0]).toMatchObject({ str_state: "SUCCEEDED", str_host: "127.0.0.33" });
});

test("stopping the farm leaves no process behind", async () => {
  const runDir = farm.runDir;
  const left = await farm.stop();
  farm = undefined as unknown as LocalFarm;
  expect(left).toEqual([]);
  expect(processesMentioning(runDir)).toEqual([]);
});
