import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRqdArgs, runRqdCli } from "./cli.js";

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
};
const noAgent = async () => 99;

describe("openrqd CLI", () => {
  test("flags become config overrides", () => {
    expect(parseRqdArgs(["--port", "4778", "--cuebot", "a:1,b:2", "--set", "machine.nimby_mode=true", "-c", "/x.yaml"])).toEqual({
      kind: "run",
      options: { configPath: "/x.yaml", overrides: { "machine.nimby_mode": "true", "grpc.rqd_port": "4778", "grpc.cuebot_endpoints": "a:1,b:2" } },
    });
  });
  test("the demo-facing flags map onto their config keys", () => {
    const a = parseRqdArgs(["--bind", "127.0.0.11", "--hostname", "127.0.0.11", "--use-ip-as-hostname", "--cores", "8", "--memory", "16GB", "--tags", "a,b", "--state-dir", "/var/lib/x", "--metrics-port", "0", "--no-metrics"]);
    expect(a).toEqual({
      kind: "run",
      options: {
        configPath: undefined,
        overrides: {
          "grpc.rqd_bind_address": "127.0.0.11", "machine.override_real_values.hostname": "127.0.0.11", "machine.use_ip_as_hostname": "true",
          "machine.override_real_values.cores": "8", "machine.override_real_values.procs": "1", "machine.override_real_values.memory_size": "16GB",
          "machine.custom_tags": "a,b", "runner.state_dir": "/var/lib/x", "metrics.port": "0", "metrics.enabled": "false",
        },
      },
    });
  });
  test("bad arguments are named, with usage, exit 2", async () => {
    for (const argv of [["--bogus"], ["extra"], ["--set", "novalue"]]) {
      const c = capture();
      expect(await runRqdCli(argv, c.io, noAgent)).toBe(2);
      expect(c.err.join("")).toMatch(/^openrqd: .*(bogus|extra|KEY=VALUE)[\s\S]*Usage: openrqd/);
    }
  });
  test("--validate-config prints the effective config or every bad key", async () => {
    let c = capture();
    expect(await runRqdCli(["--validate-config", "--port", "4778"], { ...c.io }, noAgent)).toBe(0);
    expect(c.out.join("")).toMatch(/rqd_port: 4778/);
    const dir = mkdtempSync(join(tmpdir(), "rqd-cli-"));
    const file = join(dir, "rqd.yaml");
    writeFileSync(file, "grpc:\n  rqd_port: nope\nmachine:\n  nimby_mode: perhaps\n  facilty: lax\n");
    c = capture();
    expect(await runRqdCli(["--validate-config", "--config", file], c.io, noAgent)).toBe(1);
    expect(c.err.join("")).toContain(`invalid configuration in ${file}:\n  grpc.rqd_port: expected an integer from 0 to 65535, got "nope"\n  machine.nimby_mode: expected true or false, got "perhaps"`);
  });
  test("the built bin answers --help with usage on stdout", () => {
    const bin = new URL("../bin/openrqd.js", import.meta.url).pathname;
    const r = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: openrqd/);
  });
});
