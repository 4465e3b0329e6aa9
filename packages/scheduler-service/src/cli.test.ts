import { spawnSync } from "node:child_process";
import { parseSchedulerArgs, runSchedulerCli } from "./cli.js";

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
};
const noService = async () => 99;

describe("cue-scheduler CLI", () => {
  test("the Rust flags and ours become config overrides", () => {
    expect(parseSchedulerArgs(["-f", "lax", "-i", "gpu", "--ignore-tags", "old", "--alloc_tags", "general,desktop", "--dry-run"])).toEqual({
      kind: "run",
      options: { configPath: undefined, overrides: { "scheduler.facility": "lax", "scheduler.ignore_tags": "gpu,old", "scheduler.alloc_tags": "general,desktop", "rqd.dry_run_mode": "true" } },
    });
  });
  test("--validate-config applies cross-key checks", async () => {
    const c = capture();
    expect(await runSchedulerCli(["--validate-config", "--set", "queue.host_booking_strategy.type=epvm"], c.io, noService)).toBe(1);
    expect(c.err.join("")).toMatch(/queue\.host_booking_strategy\.max_candidates: required when type is epvm/);
    const ok = capture();
    expect(await runSchedulerCli(["--validate-config", "-f", "lax"], ok.io, noService)).toBe(0);
    expect(ok.out.join("")).toMatch(/facility: lax/);
  });
  test("a bad flag is named with usage", async () => {
    const c = capture();
    expect(await runSchedulerCli(["--facilty", "x"], c.io, noService)).toBe(2);
    expect(c.err.join("")).toMatch(/facilty[\s\S]*Usage: cue-scheduler/);
  });
  test("the built bin answers --help with usage on stdout", () => {
    const r = spawnSync(process.execPath, [new URL("../bin/cue-scheduler.js", import.meta.url).pathname, "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cue-scheduler/);
  });
});
