import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readProcessStartTicks } from "@opencue-ts/host-monitor";
import { dirs, pidAlive, runnerFor, waitFor, removeTestDirs } from "./test-support/harness.js";
import { makeSpec } from "./test-support/spec.js";

afterAll(removeTestDirs);

// A real agent process launches the frame and is SIGKILLed; a new runner instance then recovers.
const agentScript = new URL("./test-support/agent-that-dies.mjs", import.meta.url).pathname;
async function startAgentAndKillIt(stateDir: string, spec: object): Promise<number> {
  const agent = spawn(process.execPath, [agentScript, stateDir, JSON.stringify(spec)], { stdio: ["ignore", "pipe", "inherit"] });
  const pid = await new Promise<number>((res, rej) => {
    agent.stdout.once("data", (b: Buffer) => res(Number(b.toString().trim())));
    agent.once("exit", (c) => rej(new Error(`agent exited ${c}`)));
  });
  agent.kill("SIGKILL");
  await new Promise((r) => agent.once("exit", r));
  return pid;
}

describe("recovery after an agent restart", () => {
  test("a frame still running is re-adopted, its output keeps flowing, its exit status is exact", async () => {
    const d = dirs();
    const pid = await startAgentAndKillIt(d.stateDir, makeSpec(d.logDir, "echo before; sleep 1; echo after; exit 4"));
    expect(pidAlive(pid)).toBe(true);
    const runner = runnerFor(d);
    const { adopted, finished, problems } = await runner.recover();
    expect(problems).toEqual([]);
    expect(finished).toEqual([]);
    expect(adopted.map((f) => f.pid)).toEqual([pid]);
    expect(adopted[0]!.adopted).toBe(true);
    expect(runner.running()).toHaveLength(1);
    const exit = await adopted[0]!.exited;
    expect(exit).toMatchObject({ exitStatus: 4, exitSignal: 0, source: "exit-file" });
    const log = readFileSync(adopted[0]!.logPath, "utf8");
    expect(log).toMatch(/before[\s\S]*re-adopted[\s\S]*after[\s\S]*exitStatus {10}4/);
    expect(readdirSync(d.stateDir)).toEqual([]);
  });

  test("an adopted frame can still be killed, tree and all (upstream #1533)", async () => {
    const d = dirs();
    const pid = await startAgentAndKillIt(d.stateDir, makeSpec(d.logDir, "sleep 60 & sleep 60"));
    const { adopted } = await runnerFor(d, { killGraceMs: 500 }).recover();
    expect(adopted).toHaveLength(1);
    await waitFor(() => adopted[0]!.stats().processCount >= 4);
    const pids = adopted[0]!.stats().children.map((c) => Number(c.stat.pid));
    const exit = await adopted[0]!.kill("killed after the restart");
    expect(exit).toMatchObject({ exitStatus: 1, exitSignal: 15, killedBy: "user", source: "exit-file" });
    expect(pids.filter(pidAlive)).toEqual([]);
    expect(pidAlive(pid)).toBe(false);
  });

  test("a frame that ended while the agent was down is reported with its exit status", async () => {
    const d = dirs();
    const pid = await startAgentAndKillIt(d.stateDir, makeSpec(d.logDir, "echo quick; exit 7"));
    await waitFor(() => !pidAlive(pid));
    const { adopted, finished } = await runnerFor(d).recover();
    expect(adopted).toEqual([]);
    expect(finished).toHaveLength(1);
    expect(finished[0]!.exit).toMatchObject({ exitStatus: 7, exitSignal: 0, source: "exit-file" });
    expect(readFileSync(finished[0]!.logPath, "utf8")).toMatch(/quick[\s\S]*ended while the agent was down/);
    expect(readdirSync(d.stateDir)).toEqual([]);
  });

  test("a record whose pid now belongs to another process is never adopted; the unknown end is (1, 143)", async () => {
    const d = dirs();
    const other = spawn("sleep", ["5"]);
    await new Promise((r) => other.once("spawn", r));
    const ticks = (await readProcessStartTicks(other.pid!))!;
    const spec = makeSpec(d.logDir, "true");
    spawnSync("mkdir", ["-p", d.stateDir, d.logDir]);
    writeFileSync(join(d.stateDir, `${spec.frameId}.frame.json`), JSON.stringify({
      version: 1, spec, pid: other.pid, startTicks: ticks + 1, startedAt: Date.now() - 1000, logPath: join(d.logDir, "x.rqlog"),
      rawPath: join(d.stateDir, "x.out"), exitPath: join(d.stateDir, "x.exit"), rawOffset: 0, killReason: null, killCause: null,
    }));
    writeFileSync(join(d.stateDir, `${spec.frameId}.frame.json.123.1.tmp`), "{half");
    const { adopted, finished } = await runnerFor(d).recover();
    expect(pidAlive(other.pid!)).toBe(true);
    other.kill();
    expect(adopted).toEqual([]);
    expect(finished[0]!.exit).toMatchObject({ exitStatus: 1, exitSignal: 143, source: "unknown" });
    expect(existsSync(join(d.stateDir, `${spec.frameId}.frame.json`))).toBe(false);
    expect(readdirSync(d.stateDir)).toEqual([]);
  });
});
