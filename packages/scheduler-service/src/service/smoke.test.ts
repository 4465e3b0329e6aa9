// The reference's smoke scenarios (§6.1) against a real PostgreSQL, in dry-run mode: the full loop
// (clusters, job/layer/host queries, planning, booking transactions) and the audit afterwards.
import { createTestDatabase, type TestDatabase } from "@opencue-ts/cuebot-db";
import { createSchedulerService } from "./scheduler-service.js";
import { audit, captureLogs, countFrames, testConfig } from "../test-support/harness.js";
import { createSmokeFarm, type SmokeFarm } from "../test-support/smoke-farm.js";

let t: TestDatabase;
let farm: SmokeFarm;
beforeEach(async () => {
  t = await createTestDatabase();
  farm = await createSmokeFarm(t.db);
});
afterEach(() => t.destroy());

async function run(scheduler: Record<string, unknown>) {
  const logs = captureLogs();
  const service = createSchedulerService({ config: testConfig({ scheduler }), db: t.db, logger: logs.logger, instanceId: "smoke" });
  await service.start();
  await service.stopped;
  return { service, logs };
}

describe("smoke scenarios (dry run)", () => {
  test("host-name cluster: only the host-name-tagged layers are booked", async () => {
    const { service } = await run({ ignore_tags: [...farm.tags.allocTags, farm.tags.manual, "alloc-host", "manual-host"] });
    expect(await countFrames(t.db, "WAITING", farm.jobs.hostname.id)).toBe(3);
    expect(await countFrames(t.db, "WAITING")).toBe(21 - 6); // hostname_job l1 + mixed_job lh
    expect(service.stats().framesBooked).toBe(6);
    expect((await audit(t.db)).violations).toEqual([]);
  });

  test("alloc cluster: the alloc-tagged layers are booked", async () => {
    await run({ alloc_tags: [farm.tags.alloc], ignore_tags: [farm.tags.manual, ...farm.tags.hostNames] });
    // alloc_job's frames need a GPU each and the alloc host has 2: one waits (the reference expected 15).
    expect(await countFrames(t.db, "WAITING")).toBe(16);
    expect(await countFrames(t.db, "WAITING", farm.jobs.alloc.id)).toBe(1);
    expect((await audit(t.db)).violations).toEqual([]);
  });

  test("manual cluster: the manual-tagged layers are booked", async () => {
    await run({ alloc_tags: ["none_of_these"], ignore_tags: farm.tags.hostNames });
    expect(await countFrames(t.db, "WAITING")).toBe(15);
    expect(await countFrames(t.db, "WAITING", farm.jobs.manual.id)).toBe(0);
    expect((await audit(t.db)).violations).toEqual([]);
  });

  test("every cluster: all placeable frames are booked, the layer whose tag no host has is not", async () => {
    await run({});
    // 21 frames: hostname_job l2 (3) has a tag no host carries, one alloc_job frame finds no free GPU.
    expect(await countFrames(t.db, "WAITING")).toBe(4);
    const procs = await t.db.selectFrom("proc").select(["pk_frame", "pk_host", "int_cores_reserved", "int_mem_used"]).execute();
    expect(procs).toHaveLength(17);
    expect(procs.every((p) => p.int_cores_reserved >= 100 && p.int_mem_used === 256000)).toBe(true);
    expect((await audit(t.db)).violations).toEqual([]);
  });

  test("a tag no host has: nothing is booked and the tag is reported", async () => {
    const { logs } = await run({ manual_tags: ["non_existent_tag"], alloc_tags: ["non_existent_alloc"], ignore_tags: farm.tags.hostNames });
    expect(await countFrames(t.db, "WAITING")).toBe(21);
    expect(logs.lines().some((l) => l.code === "UNKNOWN_TAG" && String(l.message).includes("non_existent_tag"))).toBe(true);
  });
});
