import { readFileSync } from "node:fs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderSampleYaml, ConfigError } from "@opencue-ts/service-kit";
import { rqdConfigSchema, loadRqdConfig, RQD_SAMPLE_HEADER } from "./rqd-config.js";

const repoSample = new URL("../../../../config/rqd.yaml", import.meta.url).pathname;

describe("openrqd config", () => {
  test("defaults are the Rust RQD's", async () => {
    const { config, file } = await loadRqdConfig({ env: {}, noSearch: true });
    expect(file).toBeNull();
    expect(config.grpc.rqd_port).toBe(8444);
    expect(config.grpc.cuebot_endpoints).toEqual(["localhost:8443"]);
    expect(config.grpc.backoff_retry_attempts).toBe(20);
    expect(config.machine.monitor_interval).toBe(5000);
    expect(config.machine.facility).toBe("cloud");
    expect(config.runner.kill_monitor_interval).toBe(120_000);
    expect(config.runner.default_uid).toBe(1000);
    expect(config.runner.default_gid).toBe(20);
  });
  test("the Rust sample rqd.yaml and its env overrides load unchanged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rqd-config-"));
    const file = join(dir, "rqd.yaml");
    writeFileSync(file, [
      "logging:", "  level: info", "grpc:", "  rqd_port: 4778", "  cuebot_endpoints: [\"cuebot.example.com:8082\"]",
      "machine:", "  facility: lax", "  monitor_interval: 10s", "  override_real_values:", "    cores: 4", "    memory_size: 2GB",
      "runner:", "  log_exit_status_rules:", "    - name: oom", "      regex: \"Killed process\"", "      exit_status: 33",
    ].join("\n"));
    const { config, warnings } = await loadRqdConfig({ env: { OPENCUE_RQD_CONFIG: file, OPENRQD_GRPC__RQD_PORT: "4779", OPENRQD_GRPC__CUEBOT_ENDPOINTS: "a:1,b:2" } });
    expect(warnings).toEqual([]);
    expect(config.grpc.rqd_port).toBe(4779);
    expect(config.grpc.cuebot_endpoints).toEqual(["a:1", "b:2"]);
    expect(config.machine.monitor_interval).toBe(10_000);
    expect(config.machine.override_real_values).toMatchObject({ cores: 4, memory_size: 2 * 1024 ** 3, procs: null });
    expect(config.runner.log_exit_status_rules).toEqual([{ name: "oom", regex: "Killed process", exit_status: 33 }]);
  });
  test("a bad key stops loading with its name", async () => {
    await expect(loadRqdConfig({ env: {}, noSearch: true, overrides: { "runner.use_cgroups": "sometimes" } })).rejects.toThrow(ConfigError);
    await expect(loadRqdConfig({ env: {}, noSearch: true, overrides: { "runner.use_cgroups": "sometimes" } })).rejects.toThrow(/runner\.use_cgroups: expected one of auto, on, off/);
  });
  test("config/rqd.yaml is the rendered schema (regenerate with `openrqd --print-sample-config > config/rqd.yaml`)", () => {
    expect(readFileSync(repoSample, "utf8")).toBe(renderSampleYaml(rqdConfigSchema, RQD_SAMPLE_HEADER));
  });
});
