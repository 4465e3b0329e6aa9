// openrqd as a child process against dummy-cuebot's report server, driven over real gRPC.
import { mkdtempSync, readFileSync, existsSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, create, RunFrameSchema } from "@opencue-ts/proto";
import { isAlive, runFrame, startReportServer, startRqd, waitUntil, type ReportServer, type Rqd } from "./test-support/harness.js";

import { jest } from "@jest/globals";

jest.setTimeout(60_000);

const codeOf = async (p: Promise<unknown>): Promise<{ code: Code; message: string }> => {
  try {
    await p;
  } catch (e) {
    const err = ConnectError.from(e);
    return { code: err.code, message: err.rawMessage };
  }
  throw new Error("expected the call to fail");
};

describe("openrqd against dummy-cuebot", () => {
  let cuebot: ReportServer;
  let rqd: Rqd;
  let logDir: string;
  let activity: string;

  beforeAll(async () => {
    cuebot = await startReportServer();
    const dir = mkdtempSync(join(tmpdir(), "openrqd-agent-"));
    logDir = join(dir, "logs");
    activity = join(dir, "activity");
    rqd = await startRqd(cuebot.port, {
      dir,
      config: {
        machine: { custom_tags: ["lighting"], nimby_activity_file: activity, nimby_idle_threshold: "2s", nimby_kill_frames: true },
        runner: { log_exit_status_rules: [{ name: "licence", regex: "LICENSE ERROR", exit_status: 42 }, { name: "bad", regex: "([", exit_status: 9 }] },
      },
      args: ["--hostname", "render-test-01", "--cores", "4", "--memory", "8GB"],
    });
  });
  afterAll(async () => {
    const exit = await rqd?.stop();
    await cuebot?.stop();
    expect(exit?.code).toBe(0);
  });

  test("the startup report describes the host as configured, then status reports follow", async () => {
    const boot = await cuebot.waitFor((r) => r.kind === "report_rqd_startup");
    expect(boot.host).toBe("render-test-01");
    expect(boot.report.host).toMatchObject({ name: "render-test-01", facility: "test", numProcs: 1, coresPerProc: 400, totalMem: String(8 * 1024 * 1024), state: "UP", nimbyEnabled: false, nimbyLocked: false });
    expect(boot.report.host!.tags).toContain("lighting");
    expect(boot.report.host!.attributes.SP_OS).toBeTruthy();
    expect(boot.report.coreInfo).toMatchObject({ totalCores: 400, idleCores: 400, lockedCores: 0, bookedCores: 0 });
    await cuebot.waitFor((r) => r.kind === "report_status" && r.seq > boot.seq);
    // The pinning decision is stated in the agent's log header.
    expect(rqd.logs.some((l) => /cores overridden: 4 reported and booked/.test(l.message))).toBe(true);
  });

  test("LaunchFrame runs a real command as its user; status reports list it; the completion carries its exit status", async () => {
    const rf = runFrame("echo hello-from-frame; sleep 2; exit 3", logDir, { numCores: 200 });
    await rqd.client.launchFrame({ runFrame: rf });
    const status = await cuebot.waitFor((r) => r.kind === "report_status" && (r.report.frames ?? []).some((f) => f.frameId === rf.frameId && Number(f.rss) > 0), 20_000, "a status report with the frame's memory");
    expect(status.report.coreInfo).toMatchObject({ bookedCores: 200, idleCores: 200 });
    const info = await rqd.client.getRunningFrameStatus({ frameId: rf.frameId });
    expect(info.runningFrameInfo).toMatchObject({ frameId: rf.frameId, jobName: "test-job", numCores: 200 });
    const viaRunningFrame = await rqd.runningFrame.status({ runFrame: { frameId: rf.frameId } });
    expect(viaRunningFrame.runningFrameInfo?.frameId).toBe(rf.frameId);
    const got = await rqd.client.getRunFrame({ frameId: rf.frameId });
    expect(got.runFrame?.command).toBe(rf.command);
    const done = await cuebot.waitFor((r) => r.kind === "report_running_frame_completion" && r.report.frame?.frameId === rf.frameId);
    expect(done.report).toMatchObject({ exitStatus: 3, exitSignal: 0 });
    expect(done.report.runTime).toBeGreaterThanOrEqual(1);
    expect(done.report.host?.name).toBe("render-test-01");
    const log = readFileSync(join(logDir, `test-job.${rf.frameName}.rqlog`), "utf8");
    expect(log).toContain("hello-from-frame");
    if (process.getuid?.() === 0) expect(log).toMatch(/uid\s+65534/);
    // Gone from the host: NOT_FOUND, the cores are free again.
    expect((await codeOf(rqd.client.getRunningFrameStatus({ frameId: rf.frameId }))).code).toBe(Code.NotFound);
    const after = await rqd.client.reportStatus({});
    expect(after.hostReport?.coreInfo).toMatchObject({ bookedCores: 0, idleCores: 400 });
  });

  test("log_exit_status_rules override a failed frame's exit status from its output", async () => {
    const licence = runFrame("echo 'LICENSE ERROR: no seats'; exit 1", logDir);
    const plain = runFrame("echo exitStatus LICENSE; exit 1", logDir);
    await rqd.client.launchFrame({ runFrame: licence });
    await rqd.client.launchFrame({ runFrame: plain });
    const a = await cuebot.waitFor((r) => r.kind === "report_running_frame_completion" && r.report.frame?.frameId === licence.frameId);
    const b = await cuebot.waitFor((r) => r.kind === "report_running_frame_completion" && r.report.frame?.frameId === plain.frameId);
    expect(a.report.exitStatus).toBe(42);
    expect(b.report.exitStatus).toBe(1);
    expect(readFileSync(join(logDir, `test-job.${licence.frameName}.rqlog`), "utf8")).toContain("Exit status 1 overridden to 42 by rule 'licence'");
    expect(rqd.logs.some((l) => /rule "bad" skipped: invalid regex/.test(l.message))).toBe(true);
  });

  test("KillRunningFrame and RunningFrame.Kill end the frame's tree; the completion says it was signalled", async () => {
    const a = runFrame("sleep 60 & sleep 60; wait", logDir);
    const b = runFrame("sleep 60", logDir);
    await rqd.client.launchFrame({ runFrame: a });
    await rqd.client.launchFrame({ runFrame: b });
    expect((await codeOf(rqd.client.killRunningFrame({ frameId: a.frameId, message: "" }))).code).toBe(Code.FailedPrecondition);
    await rqd.client.killRunningFrame({ frameId: a.frameId, message: "killed by the test" });
    await rqd.runningFrame.kill({ runFrame: { frameId: b.frameId }, message: "killed through RunningFrame" });
    for (const rf of [a, b]) {
      const done = await cuebot.waitFor((r) => r.kind === "report_running_frame_completion" && r.report.frame?.frameId === rf.frameId);
      expect(done.report.exitStatus).toBe(1);
      expect([9, 15]).toContain(done.report.exitSignal);
    }
    expect(readFileSync(join(logDir, `test-job.${a.frameName}.rqlog`), "utf8")).toContain("killed by the test");
    expect((await codeOf(rqd.client.killRunningFrame({ frameId: a.frameId, message: "again" }))).code).toBe(Code.NotFound);
  });

  test("locks change what is accepted: LockAll refuses launches, Unlock frees cores (core units)", async () => {
    await rqd.client.lockAll({});
    let r = await rqd.client.reportStatus({});
    expect(r.hostReport?.coreInfo).toMatchObject({ totalCores: 400, lockedCores: 400, idleCores: 0 });
    const refused = await codeOf(rqd.client.launchFrame({ runFrame: runFrame("true", logDir) }));
    expect(refused.code).toBe(Code.Aborted);
    expect(refused.message).toMatch(/failed to reserve cpu resources.*unlock/);
    await rqd.client.unlock({ cores: 200 });
    r = await rqd.client.reportStatus({});
    expect(r.hostReport?.coreInfo).toMatchObject({ lockedCores: 200, idleCores: 200 });
    const small = runFrame("sleep 1", logDir, { numCores: 200 });
    await rqd.client.launchFrame({ runFrame: small });
    // idle = min(unbooked, unlocked), as the reference RQD counts it.
    r = await rqd.client.reportStatus({});
    expect(r.hostReport?.coreInfo).toMatchObject({ lockedCores: 200, bookedCores: 200, idleCores: 200 });
    await rqd.client.lock({ cores: 100 });
    r = await rqd.client.reportStatus({});
    expect(r.hostReport?.coreInfo).toMatchObject({ lockedCores: 300, bookedCores: 200, idleCores: 100 });
    expect((await codeOf(rqd.client.launchFrame({ runFrame: runFrame("true", logDir, { numCores: 200 }) }))).code).toBe(Code.Aborted);
    await rqd.client.unlockAll({});
    r = await rqd.client.reportStatus({});
    expect(r.hostReport?.coreInfo).toMatchObject({ lockedCores: 0, bookedCores: 200, idleCores: 200 });
    await cuebot.waitFor((x) => x.kind === "report_running_frame_completion" && x.report.frame?.frameId === small.frameId);
  });

  test("bad input gets clear gRPC errors and the agent keeps serving", async () => {
    const cases: [Promise<unknown>, Code, RegExp][] = [
      [rqd.client.launchFrame({}), Code.InvalidArgument, /Missing run_frame/],
      [rqd.client.launchFrame({ runFrame: runFrame("", logDir) }), Code.InvalidArgument, /command/],
      [rqd.client.launchFrame({ runFrame: runFrame("true", "relative/logs") }), Code.InvalidArgument, /logDir/],
      [rqd.client.launchFrame({ runFrame: runFrame("true", logDir, { numCores: 0 }) }), Code.InvalidArgument, /num_cores must be positive/],
      [rqd.client.launchFrame({ runFrame: runFrame("true", logDir, { frameId: "" }) }), Code.InvalidArgument, /frame_id/],
      [rqd.client.launchFrame({ runFrame: runFrame("true", logDir, { jobName: "../etc" }) }), Code.InvalidArgument, /jobName/],
      [rqd.client.launchFrame({ runFrame: runFrame("true", logDir, { uidOptional: { case: "uid", value: 0 } }) }), Code.InvalidArgument, /will not run frame as uid = 0/],
      [rqd.client.launchFrame({ runFrame: runFrame("true", logDir, { numCores: 100_000 }) }), Code.Aborted, /failed to reserve cpu resources/],
      [rqd.client.launchFrame({ runFrame: runFrame("true", logDir, { softMemoryLimit: 64n << 20n, hardMemoryLimit: 128n << 20n }) }), Code.Aborted, /not enough idle memory/],
      [rqd.client.lock({ cores: -1 }), Code.InvalidArgument, /cores/],
      [rqd.client.unlock({ cores: -5 }), Code.InvalidArgument, /cores/],
      [rqd.client.getRunningFrameStatus({ frameId: "no-such-frame" }), Code.NotFound, /Could not find frame with id no-such-frame/],
      [rqd.client.getRunningFrameStatus({}), Code.InvalidArgument, /frame_id/],
      [rqd.client.getRunFrame({ frameId: "no-such-frame" }), Code.NotFound, /no-such-frame/],
      [rqd.client.killRunningFrame({ frameId: "no-such-frame", message: "x" }), Code.NotFound, /no-such-frame/],
      [rqd.runningFrame.status({ runFrame: { frameId: "no-such-frame" } }), Code.NotFound, /on this host/],
      [rqd.runningFrame.status({}), Code.InvalidArgument, /Missing run_frame/],
      [rqd.runningFrame.kill({ message: "x" }), Code.InvalidArgument, /Missing run_frame/],
    ];
    for (const [call, code, message] of cases) {
      const got = await codeOf(call);
      expect({ code: Code[got.code], message: got.message }).toEqual({ code: Code[code], message: expect.stringMatching(message) as string });
    }
    // A duplicate frame id is refused while the first runs.
    const rf = runFrame("sleep 2", logDir);
    await rqd.client.launchFrame({ runFrame: rf });
    expect(await codeOf(rqd.client.launchFrame({ runFrame: create(RunFrameSchema, { ...rf, resourceId: "other" }) }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringMatching(/already running/) as string });
    const r = await rqd.client.reportStatus({});
    expect(r.hostReport?.host?.name).toBe("render-test-01");
    await cuebot.waitFor((x) => x.kind === "report_running_frame_completion" && x.report.frame?.frameId === rf.frameId);
  });

  test("NIMBY: NimbyOn watches input; use locks the host and kills its frames; idle unlocks; NimbyOff stops", async () => {
    const victim = runFrame("sleep 60", logDir);
    await rqd.client.launchFrame({ runFrame: victim });
    await rqd.client.nimbyOn({});
    let r = await rqd.client.reportStatus({});
    expect(r.hostReport?.host).toMatchObject({ nimbyEnabled: true, nimbyLocked: false });
    writeFileSync(activity, "someone is here\n");
    const locked = await cuebot.waitFor((x) => x.kind === "report_status" && x.report.host?.nimbyLocked === true, 20_000, "a NIMBY-locked status report");
    expect(locked.report.coreInfo).toMatchObject({ lockedCores: 400, idleCores: 0 });
    const killed = await cuebot.waitFor((x) => x.kind === "report_running_frame_completion" && x.report.frame?.frameId === victim.frameId);
    expect(killed.report.exitSignal).toBe(15);
    expect(killed.report.host?.nimbyLocked).toBe(true);
    // Refused while locked, unless Cuebot says to ignore NIMBY.
    expect(await codeOf(rqd.client.launchFrame({ runFrame: runFrame("true", logDir) }))).toMatchObject({ code: Code.Aborted, message: "Nimby Locked" });
    const ignoring = runFrame("true", logDir, { ignoreNimby: true });
    await rqd.client.launchFrame({ runFrame: ignoring });
    await cuebot.waitFor((x) => x.kind === "report_running_frame_completion" && x.report.frame?.frameId === ignoring.frameId);
    // Idle for the threshold (2 s): unlocked.
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(activity, old, old);
    const unlocked = await cuebot.waitFor((x) => x.seq > locked.seq && x.kind === "report_status" && x.report.host?.nimbyLocked === false, 20_000, "an unlocked status report");
    expect(unlocked.report.coreInfo).toMatchObject({ lockedCores: 0 });
    writeFileSync(activity, "back again\n");
    await cuebot.waitFor((x) => x.seq > unlocked.seq && x.report.host?.nimbyLocked === true, 20_000, "locked again");
    await rqd.client.nimbyOff({});
    r = await rqd.client.reportStatus({});
    expect(r.hostReport?.host).toMatchObject({ nimbyEnabled: false, nimbyLocked: false });
    const ok = runFrame("true", logDir);
    await rqd.client.launchFrame({ runFrame: ok });
    await cuebot.waitFor((x) => x.kind === "report_running_frame_completion" && x.report.frame?.frameId === ok.frameId);
  });

  test("/metrics counts frames, cores and reports", async () => {
    const serving = rqd.logs.find((l) => typeof l.metricsPort === "number")!;
    const text = await (await fetch(`http://127.0.0.1:${serving.metricsPort as number}/metrics`)).text();
    expect(text).toMatch(/^openrqd_frames_launched_total \d+/m);
    expect(Number(/^openrqd_frames_launched_total (\d+)/m.exec(text)![1])).toBeGreaterThanOrEqual(5);
    expect(text).toMatch(/^openrqd_frames_killed_total\{cause="user"\} 2/m);
    expect(text).toMatch(/^openrqd_frames_killed_total\{cause="nimby"\} 1/m);
    expect(text).toMatch(/^openrqd_cores\{state="total"\} 4/m);
    expect(text).toMatch(/^openrqd_report_duration_seconds_count\{kind="status"\} \d+/m);
    expect(text).toMatch(/^openrqd_completions_queued 0/m);
    expect(text).toMatch(/^openrqd_host_memory_kb\{kind="total"\} 8388608/m);
    const health = await fetch(`http://127.0.0.1:${serving.metricsPort as number}/healthz`);
    expect(health.status).toBe(200);
  });

  test("RebootIdle on an idle host runs the configured reboot command, then refuses launches", async () => {
    await rqd.client.rebootIdle({});
    await waitUntil("the reboot command to run", () => existsSync(join(rqd.dir, "rebooted")), 20_000);
    const r = await rqd.client.reportStatus({});
    expect(r.hostReport?.host?.state).toBe(2); // REBOOTING
    expect((await codeOf(rqd.client.launchFrame({ runFrame: runFrame("true", logDir) }))).code).toBe(Code.FailedPrecondition);
    expect(isAlive(rqd.pid)).toBe(true);
  });
});
