import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { detectCgroupV2 } from "@opencue-ts/host-monitor";
import { DEFAULT_FRAME_PATH } from "./frame-environment.js";
import { FrameLaunchError, type FrameEvent, type Timers } from "./frame-runner.js";
import { FrameSpecError, type FrameSpec } from "./frame-spec.js";
import { dirs, pidAlive, procStatus, runnerFor, waitFor, removeTestDirs } from "./test-support/harness.js";
import { makeSpec } from "./test-support/spec.js";

afterAll(removeTestDirs);

describe("launch, log and exact end (real processes)", () => {
  test("RQD's environment; header, timestamped output and footer in the log; states and samples as events", async () => {
    const d = dirs();
    const events: FrameEvent[] = [];
    const runner = runnerFor(d, { onEvent: (e) => events.push(e) });
    const spec = makeSpec(d.logDir, 'echo "threads=$CUE_THREADS user=$USER job=$jobid cue3=$CUE3 mem=$CUE_MEMORY gpu=$CUE_GPU_MEMORY ht=$CUE_HT tz=$TZ log=$logfile"; echo to-stderr >&2; sleep 0.3; exit 0');
    const frame = await runner.launch(spec);
    expect(runner.running()).toHaveLength(1);
    expect(frame.state()).toBe("running");
    const exit = await frame.exited;
    expect(exit).toMatchObject({ exitStatus: 0, exitSignal: 0, killedBy: null, source: "wait", leftoverPids: [] });
    expect(frame.state()).toBe("exited");
    const log = readFileSync(frame.logPath, "utf8");
    expect(log).toContain("RenderQ JobSpec");
    expect(log).toMatch(/\[\d\d:\d\d:\d\d\] threads=2 user=artist job=show-shot-job cue3=True mem=1048576 gpu=0 ht=False tz=\S+ log=.*\.rqlog/);
    expect(log).toMatch(/\] to-stderr/);
    expect(log.indexOf("RenderQ JobSpec")).toBeLessThan(log.indexOf("to-stderr"));
    expect(log.indexOf("to-stderr")).toBeLessThan(log.indexOf("Render Frame Completed"));
    expect(log).toContain(`${"exitStatus".padEnd(20)}0`);
    expect(runner.running()).toHaveLength(0);
    expect(readdirSync(d.stateDir)).toEqual([]);
    const states = events.filter((e) => e.type === "state").map((e) => (e.type === "state" ? `${e.from}>${e.to}` : ""));
    expect(states).toEqual(["launching>running", "running>finishing", "finishing>exited"]);
    expect(events.some((e) => e.type === "sample" && e.stats.processCount >= 2)).toBe(true);
  });

  test("the frame's whole environment, read back from the process: the agent's, then Cuebot's, then RQD's own", async () => {
    const d = dirs();
    const runner = runnerFor(d, { inheritEnvironment: { INHERITED: "yes", TZ: "Europe/Paris", HOME: "/agent-home", PATH: "/agent/bin" } });
    const tempDir = join(d.base, "frame-tmp");
    const dump = join(d.base, "env.bin");
    const spec = makeSpec(d.logDir, `env -0 > ${dump}`, {
      environment: { CUE_THREADS: "2", CUE_MEMORY: "1048576", CUE_JOB: "show-shot-job", CUE3: "1", USER: "cuebot-user", PATH: "/cuebot/bin" },
      reservedCpuIds: [0], gpuIds: [0, 1], frameTempDir: tempDir,
    });
    const frame = await runner.launch(spec);
    expect((await frame.exited).exitStatus).toBe(0);
    const env = Object.fromEntries(readFileSync(dump, "utf8").split("\0").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
    for (const shellOwn of ["PWD", "OLDPWD", "SHLVL", "_"]) delete env[shellOwn];
    const home = readFileSync("/etc/passwd", "utf8").split("\n").map((l) => l.split(":")).find((f) => Number(f[2]) === (process.getuid?.() ?? -1))?.[5];
    expect(env).toEqual({
      INHERITED: "yes", TZ: "Europe/Paris", HOME: home ?? "/agent-home",
      CUE_THREADS: "2", CUE_MEMORY: "1048576", CUE_JOB: "show-shot-job", CUE3: "True", CUE_HT: "False", CUE_GPU_MEMORY: "0",
      CUDA_VISIBLE_DEVICES: "0,1", CUE_GPU_CORES: "0,1", TMPDIR: tempDir,
      PATH: DEFAULT_FRAME_PATH, TERM: "unknown", USER: "artist", LOGNAME: "artist", mcp: "1", show: "show", shot: "shot",
      jobid: "show-shot-job", jobhost: "test-host", frame: spec.frameName, zframe: spec.frameName, logfile: frame.logPath,
      maxframetime: "0", minspace: "200", SP_NOMYCSHRC: "1",
    });
  });

  test("statistics of a busy frame: cpu time, rss and pss with their maxima, children, LLU time", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const t0 = Math.floor(Date.now() / 1000);
    // About a second of CPU in a child, holding ~30 MB, printing now and then.
    const frame = await runner.launch(makeSpec(d.logDir, `exec node -e "const b=Buffer.alloc(30<<20,1); const end=Date.now()+1500; let n=0; while(Date.now()<end){ if(++n%5e6===0) console.log('tick', n) } setTimeout(()=>b.length,30000)"`));
    await waitFor(() => frame.stats().cpuSeconds >= 0.5 && frame.stats().rssKb > 30 * 1024, 20_000);
    await waitFor(() => readFileSync(frame.logPath, "utf8").includes("tick"));
    const s = frame.stats();
    expect(s.pid).toBe(frame.pid);
    expect(s.maxRssKb).toBeGreaterThanOrEqual(s.rssKb);
    expect(s.pssKb).toBeGreaterThan(0);
    expect(s.maxPssKb).toBeGreaterThanOrEqual(s.pssKb);
    expect(s.vsizeKb).toBeGreaterThan(s.rssKb);
    expect(s.processCount).toBeGreaterThanOrEqual(2); // the wrapper and node
    expect(s.children.map((c) => c.stat.name)).toContain("node");
    expect(s.lluTime).toBeGreaterThanOrEqual(t0);
    expect(s.lluTime).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const exit = await frame.kill("done");
    expect(exit.maxRssKb).toBeGreaterThan(30 * 1024);
  });

  test("exit codes and signals as Cuebot expects them: exit 3, SIGKILL and SIGTERM inside the frame", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const [a, b, c] = await Promise.all(["exit 3", "kill -9 $$", "kill -TERM $$"].map((cmd) => runner.launch(makeSpec(d.logDir, cmd))));
    expect(await a!.exited).toMatchObject({ exitStatus: 3, exitSignal: 0 });
    expect(await b!.exited).toMatchObject({ exitStatus: 1, exitSignal: 9 });
    expect(await c!.exited).toMatchObject({ exitStatus: 1, exitSignal: 15 });
    expect(readFileSync(c!.logPath, "utf8")).toContain(`${"killMessage".padEnd(20)}No reason defined`);
  });

  test("pinned to its reserved cores: affinity read back from /proc/<pid>/status", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const frame = await runner.launch(makeSpec(d.logDir, "grep Cpus_allowed_list /proc/self/status; echo threads=$CUE_THREADS; sleep 30", { reservedCpuIds: [1], environment: {} }));
    await waitFor(() => frame.stats().processCount >= 2);
    // Read from outside, for every process of the frame still alive (the grep may be gone already).
    const masks = (await Promise.all(frame.stats().children.map((c) => procStatus(Number(c.stat.pid), "Cpus_allowed_list")))).filter((m) => m !== null);
    expect(masks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(masks)).toEqual(new Set(["1"]));
    await waitFor(() => readFileSync(frame.logPath, "utf8").includes("threads="));
    await frame.kill("done");
    const log = readFileSync(frame.logPath, "utf8");
    expect(log).toMatch(/Cpus_allowed_list:\s+1\n/);
    expect(log).toContain("threads=2"); // numCores 200 -> 2 whole cores, at least the pinned count
    expect(log).toContain("Hyperthreading cores 1");
  });

  test("50 MB of output does not block the frame and all of it reaches the log", async () => {
    const d = dirs();
    const runner = runnerFor(d, { prependTimestamp: false });
    const frame = await runner.launch(makeSpec(d.logDir, "head -c 50000000 /dev/zero | tr '\\0' 'a' | fold -w 99"));
    const exit = await frame.exited;
    expect(exit.exitStatus).toBe(0);
    const lines = readFileSync(frame.logPath, "utf8").split("\n").filter((l) => /^a+$/.test(l));
    expect(lines.join("").length).toBe(50_000_000);
  });

  test("an existing log of the same name is rotated to .1, .2 …", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const spec = makeSpec(d.logDir, "echo third");
    await (await runner.launch({ ...spec, command: "echo first" })).exited;
    await (await runner.launch({ ...spec, command: "echo second" })).exited;
    await (await runner.launch(spec)).exited;
    const path = join(d.logDir, `${spec.jobName}.${spec.frameName}.rqlog`);
    expect(readFileSync(`${path}.1`, "utf8")).toContain("first");
    expect(readFileSync(`${path}.2`, "utf8")).toContain("second");
    expect(readFileSync(path, "utf8")).toContain("third");
  });
});

describe("kill (real process trees)", () => {
  // The tree: the frame shell, a child that called setsid (own session and group) with its own child that
  // ignores SIGTERM, and a plain background grandchild.
  const TREE = "setsid sh -c 'trap \"\" TERM; sleep 60 & sleep 60' & sleep 60 & sleep 60";

  test.each([["with a cgroup", "auto"], ["without a cgroup (tree snapshot)", "off"]] as const)("%s: SIGTERM then SIGKILL; nothing of the tree survives, the reason is in the log", async (_label, cgroup) => {
    const d = dirs();
    const runner = runnerFor(d, { cgroup, killGraceMs: 500 });
    const frame = await runner.launch(makeSpec(d.logDir, TREE));
    await waitFor(() => frame.stats().processCount >= 6);
    const pids = frame.stats().children.map((c) => Number(c.stat.pid));
    const exit = await frame.kill("killed by the test");
    expect(exit).toMatchObject({ exitStatus: 1, exitSignal: 15, killedBy: "user", killReason: "killed by the test" });
    // The setsid'd subtree ignored or outlived the group's SIGTERM: the runner found and killed it.
    expect(exit.leftoverPids.length).toBeGreaterThanOrEqual(1);
    expect(pids.filter(pidAlive)).toEqual([]);
    const log = readFileSync(frame.logPath, "utf8");
    expect(log).toContain("Killing frame: killed by the test");
    expect(log).toContain(`${"killMessage".padEnd(20)}killed by the test`);
    if (cgroup === "auto" && (await detectCgroupV2()).usable) {
      expect(frame.cgroupDir).not.toBeNull();
      expect(existsSync(frame.cgroupDir!)).toBe(false);
    }
  });

  // A daemon: a double fork plus setsid leaves it with neither the frame's parent chain nor its session or
  // process group, so neither the tree snapshot nor a session scan sees it. Without a cgroup, the frame's
  // environment (its unique logfile=) still marks it.
  test.each([["killed", true], ["ending by itself", false]] as const)("without a cgroup, a double-forked daemon that ignores SIGTERM is found and killed (%s)", async (_label, kill) => {
    const d = dirs();
    const runner = runnerFor(d, { cgroup: "off", killGraceMs: 300 });
    const frame = await runner.launch(makeSpec(d.logDir, `(setsid sh -c 'trap "" TERM; echo daemon=$$; exec sleep 60' &) ; ${kill ? "sleep 60" : "sleep 0.3"}`));
    await waitFor(() => /daemon=\d+/.test(readFileSync(frame.logPath, "utf8")));
    const daemon = Number(/daemon=(\d+)/.exec(readFileSync(frame.logPath, "utf8"))![1]);
    expect(pidAlive(daemon)).toBe(true);
    // Not in the frame's tree any more once its parent is gone (a sample taken before may still list it).
    if (kill) await waitFor(() => !frame.stats().children.map((c) => Number(c.stat.pid)).includes(daemon));
    const exit = kill ? await frame.kill("killed by the test") : await frame.exited;
    expect(exit.leftoverPids).toContain(daemon);
    expect(pidAlive(daemon)).toBe(false);
  });

  test("a frame whose leader ignores SIGTERM is SIGKILLed after the grace period", async () => {
    const d = dirs();
    const runner = runnerFor(d, { killGraceMs: 300, cgroup: "off" });
    const frame = await runner.launch(makeSpec(d.logDir, "trap '' TERM; sleep 60 & wait; sleep 60"));
    await waitFor(() => frame.stats().processCount >= 3);
    const t0 = Date.now();
    const exit = await frame.kill("stubborn");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(exit).toMatchObject({ exitStatus: 1, exitSignal: 9 });
  });

  test("the escalation runs on the injected timers (a 10-minute grace period, fired by the test)", async () => {
    const d = dirs();
    const escalations: (() => void)[] = [];
    const timers: Timers = {
      setTimeout: (fn, ms) => (ms === 600_000 ? escalations.push(fn) : setTimeout(fn, ms)),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      setInterval: (fn, ms) => setInterval(fn, ms),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    };
    const runner = runnerFor(d, { killGraceMs: 600_000, cgroup: "off", timers });
    const frame = await runner.launch(makeSpec(d.logDir, "trap '' TERM; sleep 60 & wait"));
    await waitFor(() => frame.stats().processCount >= 3);
    const exit = frame.kill("stubborn");
    await waitFor(() => escalations.length === 1);
    expect(frame.state()).toBe("killing");
    escalations[0]!();
    expect(await exit).toMatchObject({ exitStatus: 1, exitSignal: 9 });
  });

  test("a process that escaped with setsid is killed when the frame ends by itself", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const support = await detectCgroupV2();
    // Without a cgroup the escapee is only known if a sample saw it: give the monitor time to.
    const frame = await runner.launch(makeSpec(d.logDir, `setsid sleep 60 & echo escaped=$!; ${support.usable ? "" : "sleep 0.5;"} exit 0`));
    const exit = await frame.exited;
    const escaped = Number(/escaped=(\d+)/.exec(readFileSync(frame.logPath, "utf8"))![1]);
    expect(exit).toMatchObject({ exitStatus: 0, exitSignal: 0, killedBy: null });
    expect(exit.leftoverPids).toContain(escaped);
    expect(pidAlive(escaped)).toBe(false);
    expect(readFileSync(frame.logPath, "utf8")).toContain(`the frame left running: ${escaped}`);
  });
});

describe("memory limits (real processes)", () => {
  test("a frame over its hard limit is killed as a memory failure (signal 33): by cgroup memory.max where the host delegates it, else by the watchdog", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const frame = await runner.launch(makeSpec(d.logDir, `exec node -e "const b=Buffer.alloc(200*1024*1024,1); setTimeout(()=>b.length,30000)"`, { hardMemoryLimitKb: 64 * 1024, softMemoryLimitKb: 32 * 1024 }));
    const exit = await frame.exited;
    const log = readFileSync(frame.logPath, "utf8");
    expect(exit).toMatchObject({ exitStatus: 1, exitSignal: 33 });
    if (log.includes("(memory.max 65536 KB)")) {
      expect(exit.killedBy).toBe("kernel-oom");
    } else {
      // This host (cgroup v2 without the memory controller delegated) takes this path.
      expect(exit.killedBy).toBe("memory-limit");
      expect(log).toMatch(/watchdog enforces the hard limit/);
      expect(exit.maxRssKb).toBeGreaterThan(64 * 1024);
      expect(log).toMatch(/over its hard limit of 65536 KB/);
    }
  });

  test("the host OOM policy kills the aggressor it selects, reported as a memory failure", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    // Both exceed a tiny soft limit; the larger consumer is chosen first and alone frees enough.
    const big = await runner.launch(makeSpec(d.logDir, `exec node -e "const b=Buffer.alloc(80*1024*1024,1); setTimeout(()=>b.length,30000)"`, { softMemoryLimitKb: 1024, hardMemoryLimitKb: 0 }));
    const small = await runner.launch(makeSpec(d.logDir, "sleep 30", { softMemoryLimitKb: 1024 }));
    await waitFor(() => big.stats().rssKb > 80 * 1024 && small.stats().rssKb > 1024);
    // A 1 GiB host at 98 %: back to 91 % means freeing ~73 MB, which the 80 MB frame alone covers.
    const total = 1024 * 1024;
    const decision = await runner.relieveMemoryPressure({ totalKb: total, freeKb: Math.floor(total * 0.02) });
    expect(decision).toMatchObject({ triggered: true, usagePercent: 98 });
    expect(decision.victims.map((v) => v.frameId)).toEqual([big.spec.frameId]);
    const exit = await big.exited;
    expect(exit).toMatchObject({ exitStatus: 1, exitSignal: 33, killedBy: "oom" });
    expect(readFileSync(big.logPath, "utf8")).toContain("Machine was falling under OOM pressure");
    expect(small.state()).toBe("running");
    await small.kill("cleanup");
  });
});

describe("bad input: a typed error and nothing left behind", () => {
  test.each([
    ["empty command", { command: "  " }, "command"],
    ["a slash in a name used for paths", { frameName: "a/b" }, "frameName"],
    ["'..' in a name used for paths", { jobName: ".." }, "jobName"],
    ["'..' in the frame id (state file names)", { frameId: "../x" }, "frameId"],
    ["a relative log dir", { logDir: "logs" }, "logDir"],
    ["'..' in the temp dir", { frameTempDir: "/tmp/../etc" }, "frameTempDir"],
    ["negative memory", { hardMemoryLimitKb: -1 }, "hardMemoryLimitKb"],
    ["an absurdly small hard limit", { hardMemoryLimitKb: 10 }, "hardMemoryLimitKb"],
    ["an absurdly large limit", { softMemoryLimitKb: 2 ** 50 }, "softMemoryLimitKb"],
    ["soft above hard", { softMemoryLimitKb: 4096, hardMemoryLimitKb: 2048 }, "softMemoryLimitKb"],
    ["a cpu this host does not have", { reservedCpuIds: [4096] }, "reservedCpuIds"],
    ["fractional cores", { numCores: 150.5 }, "numCores"],
  ] as const)("%s", async (_label, over, field) => {
    const d = dirs();
    const runner = runnerFor(d);
    const err = await runner.launch(makeSpec(d.logDir, "true", over as Partial<FrameSpec>)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FrameSpecError);
    expect((err as FrameSpecError).field).toBe(field);
    expect(existsSync(d.logDir)).toBe(false);
    expect(existsSync(d.stateDir)).toBe(false);
  });

  test("uid 0 is refused unless allowed", async () => {
    const d = dirs();
    const strict = runnerFor(d, { allowRootFrames: false });
    await expect(strict.launch(makeSpec(d.logDir, "true", { uid: 0 }))).rejects.toThrow(/will not run a frame as root/);
    expect(existsSync(d.logDir)).toBe(false);
  });

  test("a log dir under a file, a missing log dir when creating is off, a temp dir or state dir that cannot be made", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const under = await runner.launch(makeSpec("/etc/hostname/logs", "true")).catch((e: unknown) => e);
    expect(under).toBeInstanceOf(FrameLaunchError);
    expect((under as FrameLaunchError).code).toBe("log-dir");
    const missing = await runnerFor(d, { createLogDir: false }).launch(makeSpec(d.logDir, "true")).catch((e: unknown) => e);
    expect((missing as FrameLaunchError).code).toBe("log-dir");
    expect(existsSync(d.logDir)).toBe(false);
    // The log dir it created for this launch is removed again when a later step fails.
    const temp = await runner.launch(makeSpec(join(d.logDir, "deep", "er"), "true", { frameTempDir: "/etc/hostname/tmp" })).catch((e: unknown) => e);
    expect((temp as FrameLaunchError).code).toBe("temp-dir");
    expect(existsSync(d.logDir)).toBe(false);
    const state = await runnerFor({ stateDir: "/etc/hostname/state" }).launch(makeSpec(d.logDir, "true")).catch((e: unknown) => e);
    expect(state).toBeInstanceOf(FrameLaunchError);
    expect((state as FrameLaunchError).code).toBe("state-dir");
    expect(existsSync(d.logDir)).toBe(false);
  });

  test("the same frame id twice", async () => {
    const d = dirs();
    const runner = runnerFor(d);
    const spec = makeSpec(d.logDir, "sleep 5");
    const [first, second] = await Promise.allSettled([runner.launch(spec), runner.launch(spec)]);
    expect(first.status).toBe("fulfilled");
    expect(second.status === "rejected" && second.reason instanceof FrameSpecError && /already running/.test(second.reason.message)).toBe(true);
    if (first.status === "fulfilled") await first.value.kill("cleanup");
  });
});
