import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderSampleYaml } from "@opencue-ts/service-kit";
import { schedulerConfigSchema, loadSchedulerConfig, checkSchedulerConfig, SCHEDULER_SAMPLE_HEADER } from "./scheduler-config.js";

const repoSample = new URL("../../../../config/scheduler.yaml", import.meta.url).pathname;

describe("cue-scheduler config", () => {
  test("defaults are the Rust scheduler's", async () => {
    const { config } = await loadSchedulerConfig({ env: {}, noSearch: true });
    expect(config.database).toMatchObject({ pool_size: 20, db_host: "localhost", db_name: "test", db_port: 5432 });
    expect(config.queue.memory_stranded_threshold).toBe(2 * 1024 ** 3);
    expect(config.queue.mem_reserved_min).toBe(250 * 1024 ** 2);
    expect(config.queue.host_booking_strategy).toMatchObject({ type: "saturation", core_saturation: true, memory_saturation: false });
    expect(config.queue.metrics_port).toBe(9090);
    expect(config.host_cache.monitoring_interval).toBe(10_000);
    expect(checkSchedulerConfig(config)).toEqual([]);
  });
  test("the Rust sample YAML and OPENSCHEDULER_ env overrides load", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sched-config-"));
    const file = join(dir, "scheduler.yaml");
    writeFileSync(file, "logging:\n  level: info,sqlx=warn\ndatabase:\n  db_host: localhost\n  db_name: cuebot\n  db_user: cuebot\n  db_port: 5432\nrqd:\n  dry_run_mode: true\nqueue:\n  host_booking_strategy:\n    type: epvm\n    max_candidates: 500\n    weights:\n      gpus: 8\n");
    const { config } = await loadSchedulerConfig({ env: { OPENCUE_SCHEDULER_CONFIG: file, "OPENSCHEDULER_database.db_pass": "s3cret" } });
    expect(config.database.db_pass).toBe("s3cret");
    expect(config.rqd.dry_run_mode).toBe(true);
    expect(config.queue.host_booking_strategy.weights).toMatchObject({ gpus: 8, cores: 1, gpu_mem_reservation: 2 });
    expect(checkSchedulerConfig(config)).toEqual([]);
  });
  test("cross-key rules name the key", async () => {
    const { config } = await loadSchedulerConfig({ env: {}, noSearch: true, overrides: { "queue.host_booking_strategy.type": "epvm", "instance.lease_duration": "3s" } });
    expect(checkSchedulerConfig(config).map((p) => p.key)).toEqual(["queue.host_booking_strategy.max_candidates", "instance.lease_duration"]);
  });
  test("config/scheduler.yaml is the rendered schema (regenerate with `cue-scheduler --print-sample-config > config/scheduler.yaml`)", () => {
    expect(readFileSync(repoSample, "utf8")).toBe(renderSampleYaml(schedulerConfigSchema, SCHEDULER_SAMPLE_HEADER));
  });
});
