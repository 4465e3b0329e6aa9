import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDuration, formatDuration } from "./duration.js";
import { parseSize } from "./size.js";
import { field, section, validateConfig, showConfig, describeSchema } from "./schema.js";
import { loadConfig, ConfigError } from "./load-config.js";

const schema = {
  grpc: section("gRPC", {
    rqd_port: field.int(8444, "port", { min: 1, max: 65535 }),
    cuebot_endpoints: field.stringList(["localhost:8443"], "endpoints"),
    backoff_delay_max: field.duration("60s", "max backoff"),
  }),
  machine: section("machine", {
    facility: field.string("cloud", "facility"),
    nimby_mode: field.bool(false, "nimby"),
    override_real_values: field.optionalSection({ cores: field.optionalInt("cores", { min: 1 }), memory_size: field.optionalSize("memory") }, "overrides"),
  }),
  runner: section("runner", {
    log_exit_status_rules: field.list({ name: field.string("", "name"), regex: field.string("", "regex", { nonEmpty: true }), exit_status: field.int(1, "status") }, "rules"),
  }),
};

describe("durations and sizes", () => {
  test.each([
    ["5s", 5000], ["2m", 120_000], ["1h 30m", 5_400_000], ["250ms", 250], ["1h30m", 5_400_000], ["10", 10_000], ["1.5s", 1500], ["2 days", 172_800_000],
  ])("parseDuration(%s)", (text, ms) => expect(parseDuration(text)).toBe(ms));
  test("bad durations name the problem", () => {
    expect(() => parseDuration("5 parsecs")).toThrow(/unknown duration unit "parsecs"/);
    expect(() => parseDuration("fast")).toThrow(/not a valid duration/);
    expect(() => parseDuration(-1)).toThrow();
  });
  test("formatDuration reads back", () => {
    for (const ms of [0, 250, 5000, 120_000, 5_400_000, 90_061_001]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  test.each([["2GB", 2 * 1024 ** 3], ["250MiB", 250 * 1024 ** 2], ["1024", 1024], ["1.5k", 1536], ["3 tb", 3 * 1024 ** 4]])("parseSize(%s)", (t, b) => expect(parseSize(t)).toBe(b));
  test("bad size", () => expect(() => parseSize("2 bananas")).toThrow(/unknown size unit/));
});

describe("schema validation", () => {
  test("defaults fill every missing key", () => {
    const { value, problems, warnings } = validateConfig(schema, {});
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(value.grpc.rqd_port).toBe(8444);
    expect(value.grpc.backoff_delay_max).toBe(60_000);
    expect(value.machine.override_real_values).toBeNull();
    expect(value.runner.log_exit_status_rules).toEqual([]);
  });
  test("every bad key is named with what is wrong", () => {
    const { problems } = validateConfig(schema, {
      grpc: { rqd_port: 70000, cuebot_endpoints: 12, backoff_delay_max: "soon" },
      machine: { nimby_mode: "perhaps", override_real_values: { cores: 0, memory_size: "lots" } },
      runner: { log_exit_status_rules: [{ name: "a", regex: "", exit_status: "x" }] },
    });
    const byKey = Object.fromEntries(problems.map((p) => [p.key, p.message]));
    expect(Object.keys(byKey).sort()).toEqual([
      "grpc.backoff_delay_max", "grpc.cuebot_endpoints", "grpc.rqd_port", "machine.nimby_mode",
      "machine.override_real_values.cores", "machine.override_real_values.memory_size",
      "runner.log_exit_status_rules[0].exit_status", "runner.log_exit_status_rules[0].regex",
    ]);
    expect(byKey["grpc.rqd_port"]).toBe("expected an integer from 1 to 65535, got 70000");
    expect(byKey["machine.nimby_mode"]).toMatch(/expected true or false/);
  });
  test("unknown keys are warnings with a suggestion", () => {
    const { problems, warnings } = validateConfig(schema, { grpc: { rqd_prot: 1 }, extra: {} });
    expect(problems).toEqual([]);
    expect(warnings).toEqual([
      { key: "grpc.rqd_prot", message: "unknown key, ignored (did you mean grpc.rqd_port?)" },
      { key: "extra", message: "unknown key, ignored" },
    ]);
  });
  test("comma-separated lists and string numbers (env style) are accepted", () => {
    const { value, problems } = validateConfig(schema, { grpc: { rqd_port: "4778", cuebot_endpoints: "a:1, b:2" } });
    expect(problems).toEqual([]);
    expect(value.grpc.rqd_port).toBe(4778);
    expect(value.grpc.cuebot_endpoints).toEqual(["a:1", "b:2"]);
  });
  test("showConfig prints durations the way they are written", () => {
    const { value } = validateConfig(schema, {});
    expect(showConfig(schema, value).grpc).toEqual({ rqd_port: 8444, cuebot_endpoints: ["localhost:8443"], backoff_delay_max: "1m" });
    expect(describeSchema(schema).map((r) => r.key)).toContain("machine.override_real_values");
  });
});

describe("loadConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "svc-kit-"));
  const yamlFile = join(dir, "rqd.yaml");
  writeFileSync(yamlFile, "grpc:\n  rqd_port: 4778\n  cuebot_endpoints: [\"cuebot.example.com:8443\"]\nmachine:\n  facility: lax\n");
  const base = { schema, moduleName: "testsvc", fileEnvVar: "TESTSVC_CONFIG", envPrefix: "TESTSVC", noSearch: true } as const;

  test("built-in defaults without a file", async () => {
    const r = await loadConfig({ ...base, env: {} });
    expect(r.file).toBeNull();
    expect(r.config.grpc.rqd_port).toBe(8444);
  });
  test("file named by the env var, then env overrides, then CLI overrides", async () => {
    const r = await loadConfig({
      ...base,
      env: { TESTSVC_CONFIG: yamlFile, TESTSVC_MACHINE__FACILITY: "ny", "TESTSVC_grpc.backoff_delay_max": "2s", TESTSVC_GRPC__RQD_PORT: "5000" },
      overrides: { "grpc.rqd_port": "6000" },
    });
    expect(r.file).toBe(yamlFile);
    expect(r.config.machine.facility).toBe("ny");
    expect(r.config.grpc.backoff_delay_max).toBe(2000);
    expect(r.config.grpc.rqd_port).toBe(6000);
    expect(r.config.grpc.cuebot_endpoints).toEqual(["cuebot.example.com:8443"]);
    expect(r.overridden.sort()).toEqual(["grpc.backoff_delay_max", "grpc.rqd_port", "grpc.rqd_port", "machine.facility"]);
  });
  test("a missing file named by the env var is an error", async () => {
    await expect(loadConfig({ ...base, env: { TESTSVC_CONFIG: join(dir, "nope.yaml") } })).rejects.toThrow(/cannot read .*nope.yaml: ENOENT/);
  });
  test("broken YAML says where", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "grpc:\n  rqd_port: [1,\n");
    const err = await loadConfig({ ...base, configPath: bad, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/not valid YAML at line \d+/);
  });
  test("bad values from every source are all reported at once", async () => {
    const err = (await loadConfig({ ...base, configPath: yamlFile, env: { TESTSVC_GRPC__RQD_PORT: "http", TESTSVC_NOPE: "1" }, overrides: { "machine.nimby_mode": "maybe", "no.such": "1" } }).catch((e: unknown) => e)) as ConfigError;
    expect(err.problems.map((p) => p.key).sort()).toEqual(["env TESTSVC_NOPE", "grpc.rqd_port", "machine.nimby_mode", "no.such"]);
    expect(err.message).toContain(yamlFile);
  });
  test("cosmiconfig search finds NAME.yaml upwards from cwd", async () => {
    const proj = mkdtempSync(join(tmpdir(), "svc-kit-search-"));
    writeFileSync(join(proj, "testsvc.yaml"), "machine:\n  facility: found\n");
    const r = await loadConfig({ ...base, noSearch: false, cwd: proj, env: {} });
    expect(r.file).toBe(join(proj, "testsvc.yaml"));
    expect(r.config.machine.facility).toBe("found");
  });
});

describe("renderSampleYaml", () => {
  test("the sample parses back to exactly the defaults", async () => {
    const { renderSampleYaml } = await import("./sample-yaml.js");
    const { parse } = await import("yaml");
    const text = renderSampleYaml(schema, "sample");
    expect(text).toContain("# port (integer)\n  rqd_port: 8444");
    const { value, problems, warnings } = validateConfig(schema, parse(text));
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(value).toEqual(validateConfig(schema, {}).value);
  });
});
