import { create, RunFrameSchema, Code, ConnectError } from "@opencue-ts/proto";
import { acceptsFrames, transition } from "./lifecycle.js";
import { initialNimbyState, stepNimby } from "./nimby.js";
import { coresToBook, runFrameToSpec, runningFrameInfo, completionReport, wantsPinning } from "./frame-convert.js";
import { parseEndpoint } from "./report-client.js";
import { isBenignSessionError } from "./process-guards.js";
import { RenderHostSchema } from "@opencue-ts/proto";

describe("agent lifecycle", () => {
  test("starting -> running -> draining -> stopping -> stopped; nothing else", () => {
    expect(transition("starting", "started")).toBe("running");
    expect(transition("running", "drain")).toBe("draining");
    expect(transition("draining", "drained")).toBe("stopping");
    expect(transition("stopping", "stopped")).toBe("stopped");
    expect(transition("running", "started")).toBeNull();
    expect(transition("stopped", "drain")).toBeNull();
    expect(transition("stopping", "drain")).toBeNull();
    expect(acceptsFrames("running")).toBe(true);
    expect(acceptsFrames("draining")).toBe(false);
  });
});

describe("NIMBY state machine", () => {
  test("input locks, idle past the threshold unlocks, no source never locks", () => {
    let s = initialNimbyState(true, false);
    expect(stepNimby(s, null, 900).action).toBeNull();
    expect(stepNimby(s, 2000, 900).action).toBeNull();
    let r = stepNimby(s, 3, 900);
    expect(r).toMatchObject({ action: "lock", state: { locked: true } });
    s = r.state;
    expect(stepNimby(s, 899, 900).action).toBeNull();
    r = stepNimby(s, 900, 900);
    expect(r).toMatchObject({ action: "unlock", state: { locked: false } });
  });
  test("locked by default stays locked until someone has used the host, then idles", () => {
    let s = initialNimbyState(true, true);
    expect(s.locked).toBe(true);
    expect(stepNimby(s, 5000, 900).action).toBeNull();
    s = stepNimby(s, 1, 900).state;
    expect(s.locked).toBe(true);
    expect(stepNimby(s, 901, 900).action).toBe("unlock");
    expect(initialNimbyState(false, true).locked).toBe(false);
  });
  test("turning NIMBY off unlocks", () => {
    const s = { enabled: false, locked: true, sawActivity: true };
    expect(stepNimby(s, 0, 900)).toMatchObject({ action: "unlock", state: { locked: false } });
  });
});

describe("RunFrame conversion", () => {
  const rf = create(RunFrameSchema, {
    resourceId: "r", jobId: "j", jobName: "job", frameId: "f", frameName: "0001-a", layerId: "l", command: "echo", userName: "u",
    logDir: "/logs", show: "s", shot: "sh", numCores: 250, gid: 0, softMemoryLimit: 1024n, hardMemoryLimit: 2048n, frameTempDir: "rel",
    environment: { CUE_THREADABLE: "1" }, attributes: { a: "1" }, uidOptional: { case: "uid", value: 1234 }, startTime: 99n,
  });
  test("uid presence, default gid, memory limits in KB, relative temp dir dropped", () => {
    expect(runFrameToSpec(rf, { defaultGid: 20, cpuIds: [0, 1], hyperthreading: false, gpuIds: [] })).toMatchObject({
      uid: 1234, gid: 20, softMemoryLimitKb: 1024, hardMemoryLimitKb: 2048, frameTempDir: "", reservedCpuIds: [0, 1], startTime: 99, numCores: 250,
    });
    expect(runFrameToSpec(create(RunFrameSchema, { ...rf, uidOptional: { case: undefined } }), { defaultGid: 20, cpuIds: [], hyperthreading: false, gpuIds: [] }).uid).toBeNull();
    expect(wantsPinning(rf)).toBe(true);
    expect(coresToBook(250, 100)).toBe(3);
    expect(coresToBook(50, 100)).toBe(1);
  });
  test("RunningFrameInfo and the completion report", () => {
    const info = runningFrameInfo(rf, { pid: 1, startTime: 5000, rssKb: 10, maxRssKb: 20, pssKb: 8, maxPssKb: 9, vsizeKb: 30, maxVsizeKb: 40, swapKb: 0, cpuSeconds: 1, processCount: 1, lluTime: 7, children: [] }, 1);
    expect(info).toMatchObject({ frameId: "f", numCores: 250, startTime: 5000n, rss: 10n, maxRss: 20n, pss: 8n, vsize: 30n, lluTime: 7n, attributes: { a: "1" } });
    expect(runningFrameInfo(rf, null, 42).startTime).toBe(42n);
    const rep = completionReport(create(RenderHostSchema, { name: "h" }), info, { exitStatus: 1, exitSignal: 9, runTimeSeconds: 2.4, maxRssKb: 50 });
    expect(rep).toMatchObject({ exitStatus: 1, exitSignal: 9, runTime: 2, frame: { maxRss: 50n }, host: { name: "h" } });
  });
});

describe("report client helpers", () => {
  test("endpoints", () => {
    expect(parseEndpoint("cuebot:8443")).toEqual({ host: "cuebot", port: 8443 });
    expect(parseEndpoint("http://10.0.0.1:8443")).toEqual({ host: "10.0.0.1", port: 8443 });
    expect(parseEndpoint("[::1]:8443")).toEqual({ host: "::1", port: 8443 });
    expect(() => parseEndpoint("cuebot")).toThrow(/expected host:port/);
    expect(() => parseEndpoint("cuebot:0")).toThrow(/expected host:port/);
  });
  test("only the known HTTP/2 GOAWAY race is treated as benign", () => {
    expect(isBenignSessionError(new ConnectError("received GOAWAY without any open streams", Code.Canceled))).toBe(true);
    expect(isBenignSessionError(new ConnectError("something else", Code.Canceled))).toBe(false);
    expect(isBenignSessionError(new Error("received GOAWAY without any open streams"))).toBe(false);
  });
});

describe("log exit-status rules", () => {
  test("the tail excludes the footer; the first matching rule wins; bad regexes are skipped", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { compileExitRules, matchExitRule, readOutputTail } = await import("./exit-rules.js");
    const warnings: string[] = [];
    const rules = compileExitRules([{ name: "a", regex: "no seats", exit_status: 42 }, { name: "bad", regex: "(", exit_status: 1 }, { name: "b", regex: "seats", exit_status: 43 }], (w) => warnings.push(w));
    expect(rules.map((r) => r.name)).toEqual(["a", "b"]);
    expect(warnings[0]).toMatch(/rule "bad" skipped/);
    const file = join(mkdtempSync(join(tmpdir(), "rqd-rules-")), "f.rqlog");
    writeFileSync(file, "header\nline 1\nno seats left\nline 3\n\n\n" + "=".repeat(100) + "\nRender Frame Completed\nexitStatus 1\n");
    expect(await readOutputTail(file, 2)).toBe("no seats left\nline 3");
    expect(matchExitRule((await readOutputTail(file, 50))!, rules)?.exitStatus).toBe(42);
    expect(matchExitRule((await readOutputTail(file, 1))!, rules)).toBeNull();
    expect(await readOutputTail(join(file, "missing"), 5)).toBeNull();
  });
});
