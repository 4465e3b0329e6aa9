import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readProcessStartTicks } from "@opencue-ts/host-monitor";
import { createFrameRunner, FrameLaunchError, type FrameRunnerOptions } from "./frame-runner.js";
import { FrameSpecError } from "./frame-spec.js";
import { makeSpec } from "./test-support/spec.js";

const isRoot = process.getuid?.() === 0;
const me = process.getuid?.() ?? 1000;
const dirs = () => {
  const base = mkdtempSync(join(tmpdir(), "frame-runner-"));
  chmodSync(base, 0o755);
  return { logDir: join(base, "logs"), stateDir: join(base, "state") };
};
const runnerFor = (d: { stateDir: string }, over: Partial<FrameRunnerOptions> = {}) =>
  createFrameRunner({ hostName: "test-host", stateDir: d.stateDir, runAsUser: false, defaultUid: me, allowRootFrames: true, monitorIntervalMs: 100, tailIntervalMs: 50, killGraceMs: 2000, ...over });
const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe("frame runner (real processes)", () => {
  test("a frame runs with RQD's environment; its log has header, timestamped output and footer", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const spec = makeSpec(d.logDir, 'echo "threads=$CUE_THREADS user=$USER job=$jobid cue3=$CUE3 log=$logfile"; echo to-stderr >&2; exit 0');
    const frame = await runner.launch(spec);
    expect(runner.running()).toHaveLength(1);
    const exit = await frame.exited;
    expect(exit).toMatchObject({ exitStatus: 0, exitSignal: 0, killedBy: null, source: "wait" });
    const log = readFileSync(frame.logPath, "utf8");
    expect(log).toContain("RenderQ JobSpec");
    expect(log).toMatch(/\[\d\d:\d\d:\d\d\] threads=2 user=artist job=show-shot-job cue3=True log=.*\.rqlog/);
    expect(log).toMatch(/\] to-stderr/);
    expect(log).toContain(`${"exitStatus".padEnd(20)}0`);
    expect(runner.running()).toHaveLength(0);
    expect(readdirSync(d.stateDir)).toEqual([]);
  });

  test("exit codes and signals: exit 3, killed by SIGKILL inside the frame", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    expect(await (await runner.launch(makeSpec(d.logDir, "exit 3"))).exited).toMatchObject({ exitStatus: 3, exitSignal: 0 });
    expect(await (await runner.launch(makeSpec(d.logDir, "kill -9 $$"))).exited).toMatchObject({ exitStatus: 1, exitSignal: 9 });
  });

  test("kill ends the whole tree, including a child that left the session, and says why", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const frame = await runner.launch(makeSpec(d.logDir, "setsid sh -c 'sleep 60 & sleep 60' & sleep 60 & sleep 60"));
    await waitFor(() => frame.stats().processCount >= 5);
    const pids = frame.stats().children.map((c) => Number(c.stat.pid));
    expect(pids.length).toBeGreaterThanOrEqual(5);
    const exit = await frame.kill("killed by the test");
    expect(exit).toMatchObject({ exitStatus: 1, exitSignal: 15, killedBy: "request", killReason: "killed by the test" });
    await waitFor(() => pids.every((p) => !pidAlive(p)), 5000);
    const log = readFileSync(frame.logPath, "utf8");
    expect(log).toContain("Killing frame: killed by the test");
    expect(log).toContain(`${"killMessage".padEnd(20)}killed by the test`);
  });

  test("a frame that ignores SIGTERM is SIGKILLed after the grace period", async () => {
    const d = dirs();
    const runner = runnerFor(d, { killGraceMs: 300 });
    const frame = await runner.launch(makeSpec(d.logDir, "trap '' TERM; sleep 60 & wait; sleep 60"));
    await waitFor(() => frame.stats().processCount >= 2);
    const exit = await frame.kill("stubborn");
    expect(exit.exitSignal).toBe(9);
    expect(exit.exitStatus).toBe(1);
  });

  test("passing the hard memory limit kills the frame as a memory failure (signal 33)", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const frame = await runner.launch(makeSpec(d.logDir, `node -e "const b=Buffer.alloc(200*1024*1024,1); setTimeout(()=>b.length,30000)"`, { hardMemoryLimitKb: 64 * 1024 }));
    const exit = await frame.exited;
    expect(exit).toMatchObject({ exitStatus: 1, exitSignal: 33, killedBy: "memory-limit" });
    expect(exit.maxRssKb).toBeGreaterThan(64 * 1024);
    expect(readFileSync(frame.logPath, "utf8")).toMatch(/over its hard limit of 65536 KB/);
  });

  test("50 MB of output does not block the frame and all of it reaches the log", async () => {
    const d = dirs();
    const runner = runnerFor(d, { prependTimestamp: false });
    const frame = await runner.launch(makeSpec(d.logDir, "head -c 50000000 /dev/zero | tr '\\0' 'a' | fold -w 99"));
    const exit = await frame.exited;
    expect(exit.exitStatus).toBe(0);
    const lines = readFileSync(frame.logPath, "utf8").split("\n").filter((l) => /^a{99}$/.test(l) || /^a+$/.test(l));
    expect(lines.join("").length).toBe(50_000_000);
  });

  test("an existing log of the same name is rotated", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const spec = makeSpec(d.logDir, "echo second");
    await (await runner.launch({ ...spec, command: "echo first" })).exited;
    await (await runner.launch(spec)).exited;
    const path = join(d.logDir, `${spec.jobName}.${spec.frameName}.rqlog`);
    expect(readFileSync(`${path}.1`, "utf8")).toContain("first");
    expect(readFileSync(path, "utf8")).toContain("second");
  });

  test("bad input is refused before anything runs", async () => {
    const d = dirs();
    const runner = createFrameRunner({ hostName: "h", stateDir: d.stateDir });
    await expect(runner.launch(makeSpec(d.logDir, "true", { uid: 0 }))).rejects.toThrow(/will not run a frame as root/);
    await expect(runner.launch(makeSpec(d.logDir, "true", { numCores: -100 }))).rejects.toBeInstanceOf(FrameSpecError);
    await expect(runnerFor(d).launch(makeSpec("/etc/hostname/logs", "true"))).rejects.toBeInstanceOf(FrameLaunchError);
    const dup = runnerFor(d);
    const spec = makeSpec(d.logDir, "sleep 5");
    const f = await dup.launch(spec);
    await expect(dup.launch(spec)).rejects.toThrow(/already running/);
    await f.kill("cleanup");
  });

  (isRoot ? test : test.skip)("as root, the frame runs as its uid/gid and owns its log", async () => {
    const d = dirs();
    const runner = createFrameRunner({ hostName: "h", stateDir: d.stateDir, monitorIntervalMs: 100, tailIntervalMs: 50 });
    const frame = await runner.launch(makeSpec(d.logDir, 'echo "uid=$(id -u) gid=$(id -g) home=$HOME"', { uid: 65534, gid: 65534 }));
    expect((await frame.exited).exitStatus).toBe(0);
    expect(readFileSync(frame.logPath, "utf8")).toMatch(/uid=65534 gid=65534 home=\/nonexistent/);
    expect(statSync(frame.logPath).uid).toBe(65534);
  });
});

describe("recovery after an agent restart (a real agent process is SIGKILLed)", () => {
  const agentScript = new URL("./test-support/agent-that-dies.mjs", import.meta.url).pathname;
  const startAgent = async (stateDir: string, spec: object) => {
    const agent = spawn(process.execPath, [agentScript, stateDir, JSON.stringify(spec)], { stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((res, rej) => {
      agent.stdout.once("data", (b: Buffer) => res(Number(b.toString().trim())));
      agent.once("exit", (c) => rej(new Error(`agent exited ${c}`)));
    });
    return { agent, pid };
  };

  test("a frame still running is re-adopted, its output keeps flowing, its exit status is exact", async () => {
    const d = dirs();
    const spec = makeSpec(d.logDir, "echo before; sleep 1.5; echo after; exit 4");
    const { agent, pid } = await startAgent(d.stateDir, spec);
    agent.kill("SIGKILL");
    await new Promise((r) => agent.once("exit", r));
    expect(pidAlive(pid)).toBe(true);
    const runner = runnerFor(d);
    const { adopted, finished, problems } = await runner.recover();
    expect(problems).toEqual([]);
    expect(finished).toEqual([]);
    expect(adopted.map((f) => f.pid)).toEqual([pid]);
    expect(adopted[0]!.adopted).toBe(true);
    const exit = await adopted[0]!.exited;
    expect(exit).toMatchObject({ exitStatus: 4, exitSignal: 0, source: "exit-file" });
    const log = readFileSync(adopted[0]!.logPath, "utf8");
    expect(log).toMatch(/before[\s\S]*re-adopted[\s\S]*after[\s\S]*exitStatus {10}4/);
  });

  test("a frame that ended while the agent was down is reported with its exit status", async () => {
    const d = dirs();
    const spec = makeSpec(d.logDir, "echo quick; exit 7");
    const { agent, pid } = await startAgent(d.stateDir, spec);
    agent.kill("SIGKILL");
    await waitFor(() => !pidAlive(pid));
    const { adopted, finished } = await runnerFor(d).recover();
    expect(adopted).toEqual([]);
    expect(finished).toHaveLength(1);
    expect(finished[0]!.exit).toMatchObject({ exitStatus: 7, exitSignal: 0, source: "exit-file" });
    expect(readFileSync(finished[0]!.logPath, "utf8")).toMatch(/quick[\s\S]*ended while the agent was down/);
    expect(readdirSync(d.stateDir)).toEqual([]);
  });

  test("a record whose pid now belongs to another process is never adopted", async () => {
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
    const { adopted, finished } = await runnerFor(d).recover();
    other.kill();
    expect(adopted).toEqual([]);
    expect(finished[0]!.exit).toMatchObject({ exitStatus: 1, exitSignal: 143, source: "unknown" });
    expect(existsSync(join(d.stateDir, `${spec.frameId}.frame.json`))).toBe(false);
  });
});
