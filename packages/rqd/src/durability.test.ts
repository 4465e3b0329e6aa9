// What survives: a Cuebot outage (every completion delivered, in order), an agent killed with SIGKILL
// mid-frame (the frame re-adopted, or its end still reported), restarts and shutdowns.
import { jest } from "@jest/globals";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { isAlive, sessionMembers, OPENRQD_BIN, runFrame, startReportServer, startRqd, waitUntil, type ReportServer, type Rqd } from "./test-support/harness.js";

jest.setTimeout(90_000);

const fresh = () => mkdtempSync(join(tmpdir(), "openrqd-durable-"));
const completionsOf = (cuebot: ReportServer) => cuebot.reports.filter((r) => r.kind === "report_running_frame_completion");
const pidOf = (rqd: Rqd, frameId: string) => rqd.waitForLog((l) => l.frameId === frameId && typeof l.pid === "number" && l.message.startsWith("frame started"), 20_000, `frame ${frameId} to start`).then((l) => l.pid as number);

describe("openrqd durability", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });

  test("Cuebot down for a while: every completion is kept on disk and delivered, in order, when it is back", async () => {
    let cuebot = await startReportServer();
    const port = cuebot.port;
    const dir = fresh();
    const rqd = await startRqd(port, { dir });
    cleanup.push(() => rqd.stop());
    await cuebot.waitFor((r) => r.kind === "report_rqd_startup");
    await cuebot.stop();
    const logDir = join(dir, "logs");
    const frames = [11, 12, 13].map((n) => runFrame(`exit ${n}`, logDir));
    for (const rf of frames) {
      await rqd.client.launchFrame({ runFrame: rf });
      await rqd.waitForLog((l) => l.frameId === rf.frameId && String(l.message).startsWith("frame ended"));
    }
    expect(readdirSync(join(dir, "state", "completions")).filter((f) => f.endsWith(".entry"))).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 1000)); // a few failed delivery passes
    cuebot = await startReportServer(port);
    cleanup.push(() => cuebot.stop());
    await waitUntil("three completions", () => completionsOf(cuebot).length >= 3, 30_000);
    expect(completionsOf(cuebot).map((r) => r.report.exitStatus)).toEqual([11, 12, 13]);
    expect(completionsOf(cuebot).map((r) => r.report.frame?.frameId)).toEqual(frames.map((f) => f.frameId));
    await waitUntil("the queue to empty", () => readdirSync(join(dir, "state", "completions")).filter((f) => f.endsWith(".entry")).length === 0, 10_000);
    expect(rqd.logs.some((l) => l.level === "warn" && /report to Cuebot failed: Unavailable/.test(l.message))).toBe(true);
  });

  test("SIGKILL mid-frame, then a restart: the running frame is re-adopted, the one that ended meanwhile is reported", async () => {
    const cuebot = await startReportServer();
    cleanup.push(() => cuebot.stop());
    const dir = fresh();
    const logDir = join(dir, "logs");
    let rqd = await startRqd(cuebot.port, { dir });
    const long = runFrame("sleep 4; echo long-done; exit 7", logDir);
    const short = runFrame("sleep 1; exit 5", logDir);
    await rqd.client.launchFrame({ runFrame: long });
    await rqd.client.launchFrame({ runFrame: short });
    const longPid = await pidOf(rqd, long.frameId);
    await rqd.stop("SIGKILL");
    expect(isAlive(longPid)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // the short frame ends while no agent runs
    rqd = await startRqd(cuebot.port, { dir });
    cleanup.push(() => rqd.stop());
    await rqd.waitForLog((l) => l.frameId === long.frameId && /re-adopted/.test(l.message));
    const status = await rqd.client.reportStatus({});
    expect(status.hostReport?.frames.map((f) => f.frameId)).toEqual([long.frameId]);
    expect(status.hostReport?.coreInfo?.bookedCores).toBe(100);
    const shortDone = await cuebot.waitFor((r) => r.kind === "report_running_frame_completion" && r.report.frame?.frameId === short.frameId);
    expect(shortDone.report).toMatchObject({ exitStatus: 5, exitSignal: 0 });
    const longDone = await cuebot.waitFor((r) => r.kind === "report_running_frame_completion" && r.report.frame?.frameId === long.frameId, 30_000);
    expect(longDone.report).toMatchObject({ exitStatus: 7, exitSignal: 0 });
    expect(completionsOf(cuebot).filter((r) => r.report.frame?.frameId === long.frameId)).toHaveLength(1);
  });

  test("SIGTERM with drain_on_signal kill: frames are killed and reported, nothing is left running, exit 0", async () => {
    const cuebot = await startReportServer();
    cleanup.push(() => cuebot.stop());
    const dir = fresh();
    const rqd = await startRqd(cuebot.port, { dir, config: { lifecycle: { drain_on_signal: "kill" } } });
    const rf = runFrame("sleep 60 & sleep 60; wait", join(dir, "logs"));
    await rqd.client.launchFrame({ runFrame: rf });
    const pid = await pidOf(rqd, rf.frameId);
    const exit = await rqd.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(isAlive(pid)).toBe(false);
    expect(sessionMembers(pid)).toEqual([]);
    const done = await cuebot.waitFor((r) => r.kind === "report_running_frame_completion" && r.report.frame?.frameId === rf.frameId, 5000);
    expect(done.report.exitSignal).toBe(15);
    expect(rqd.logs.some((l) => l.message === "agent running -> draining")).toBe(true);
  });

  test("RestartRqdNow leaves frames running and exits 75 for the service manager; ShutdownRqdNow kills them and exits 0", async () => {
    const cuebot = await startReportServer();
    cleanup.push(() => cuebot.stop());
    const dir = fresh();
    let rqd = await startRqd(cuebot.port, { dir });
    const rf = runFrame("sleep 60", join(dir, "logs"));
    await rqd.client.launchFrame({ runFrame: rf });
    const pid = await pidOf(rqd, rf.frameId);
    await rqd.client.restartRqdNow({});
    expect(await rqd.exited).toEqual({ code: 75, signal: null });
    expect(isAlive(pid)).toBe(true);
    rqd = await startRqd(cuebot.port, { dir });
    cleanup.push(() => rqd.stop());
    await rqd.waitForLog((l) => l.frameId === rf.frameId && /re-adopted/.test(l.message));
    await rqd.client.shutdownRqdNow({});
    expect(await rqd.exited).toEqual({ code: 0, signal: null });
    expect(isAlive(pid)).toBe(false);
    const done = await cuebot.waitFor((r) => r.kind === "report_running_frame_completion" && r.report.frame?.frameId === rf.frameId);
    expect(done.report.exitStatus).toBe(1);
  });

  test("a config error stops start-up with a message naming the key", () => {
    const r = spawnSync(process.execPath, [OPENRQD_BIN, "--set", "grpc.rqd_port=99999", "--set", "machine.nimby_mode=perhaps"], { encoding: "utf8", env: { ...process.env, OPENCUE_RQD_CONFIG: "" } });
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/grpc\.rqd_port: expected an integer from 0 to 65535, got "99999"/);
    expect(r.stderr).toMatch(/machine\.nimby_mode: expected true or false/);
    const nic = spawnSync(process.execPath, [OPENRQD_BIN, "--set", "grpc.rqd_interface=no-such-nic0", "--no-metrics"], { encoding: "utf8", env: { ...process.env, OPENCUE_RQD_CONFIG: "" } });
    expect(nic.status).toBe(78);
    expect(nic.stderr).toMatch(/grpc\.rqd_interface: network interface "no-such-nic0" does not exist/);
  });
});
