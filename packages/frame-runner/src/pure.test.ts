import { interpretExit } from "./exit-status.js";
import { buildFrameEnvironment, DEFAULT_FRAME_PATH } from "./frame-environment.js";
import { rotatedLogName, formatFooter, formatHeader, frameLogPath } from "./frame-log.js";
import { validateFrameSpec, FrameSpecError, type FrameSpec } from "./frame-spec.js";
import { makeSpec } from "./test-support/spec.js";

describe("exit status as Cuebot expects it", () => {
  test.each([
    [0, null, false, 0, 0],
    [1, null, false, 1, 0],
    [42, null, false, 42, 0],
    [137, null, false, 1, 9],
    [143, null, false, 1, 15],
    [139, null, false, 1, 11],
    [null, "SIGKILL", false, 1, 9],
    [null, "SIGTERM", false, 1, 15],
    [0, 9, false, 1, 9],
    [255, null, false, 1, 127],
    [128, null, false, 128, 0],
    [137, null, true, 1, 33],
    [0, null, true, 0, 33],
  ] as const)("code %s signal %s memory %s -> (%s, %s)", (code, signal, memory, status, sig) => {
    expect(interpretExit(code, signal, memory)).toEqual({ exitStatus: status, exitSignal: sig });
  });
});

describe("frame environment", () => {
  const spec = makeSpec("/logs", "render", { environment: { CUE_THREADS: "2", CUE3: "1", PATH: "/evil", CUE_MEMORY: "4194304" }, reservedCpuIds: [0, 1, 2, 3], hyperthreading: true, gpuIds: [1, 3], frameTempDir: "/tmp/f" });
  const env = buildFrameEnvironment(spec, { inherited: { HOME: "/root", KEEP: "yes", TZ: "Europe/Paris" }, hostName: "render-01", logPath: "/logs/j.f.rqlog", home: "/home/artist", useHostPath: false, timeZone: "UTC" });
  test("RQD's variables win over Cuebot's, Cuebot's over the agent's", () => {
    expect(env).toMatchObject({
      PATH: DEFAULT_FRAME_PATH, TERM: "unknown", USER: "artist", LOGNAME: "artist", mcp: "1", show: "show", shot: "shot", jobid: "show-shot-job",
      jobhost: "render-01", frame: spec.frameName, zframe: spec.frameName, logfile: "/logs/j.f.rqlog", maxframetime: "0", minspace: "200",
      CUE3: "True", SP_NOMYCSHRC: "1", CUE_MEMORY: "4194304", KEEP: "yes", HOME: "/home/artist", TZ: "Europe/Paris", TMPDIR: "/tmp/f",
    });
  });
  test("CUE_THREADS covers the pinned cpus, CUE_HT, and GPUs per frame", () => {
    expect(env.CUE_THREADS).toBe("4");
    expect(env.CUE_HT).toBe("True");
    expect(env.CUDA_VISIBLE_DEVICES).toBe("1,3");
    expect(env.CUE_GPU_CORES).toBe("1,3");
  });
  test("without CUE_THREADS the core count is used, in whole cores", () => {
    const e = buildFrameEnvironment(makeSpec("/l", "x", { environment: {}, numCores: 300 }), { inherited: {}, hostName: "h", logPath: "/l/x", home: null, useHostPath: true, timeZone: "UTC" });
    expect(e.CUE_THREADS).toBe("3");
    expect(e.CUE_HT).toBe("False");
    expect(e.TZ).toBe("UTC");
    expect(e.CUDA_VISIBLE_DEVICES).toBeUndefined();
  });
});

describe("frame log", () => {
  test("path and rotation", () => {
    expect(frameLogPath({ logDir: "/l", jobName: "j", frameName: "0001-a" })).toBe("/l/j.0001-a.rqlog");
    const taken = new Set(["/l/x.1", "/l/x.2"]);
    expect(rotatedLogName("/l/x", (p) => taken.has(p))).toBe("/l/x.3");
    expect(rotatedLogName("/l/x", () => true)).toBe("/l/x.100");
  });
  test("header and footer carry what RQD writes", () => {
    const spec = makeSpec("/l", "echo hi");
    const h = formatHeader(spec, { command: "echo hi", uid: 1000, gid: 20, logPath: "/l/x", hostName: "h", cpuIds: [], environment: { B: "2", A: "1" }, notes: [] });
    expect(h).toContain(`${"command".padEnd(20)}echo hi`);
    expect(h).toContain("Hyperthreading disabled");
    expect(h.indexOf("A=1")).toBeLessThan(h.indexOf("B=2"));
    const f = formatFooter({ exitStatus: 1, exitSignal: 9, runTimeSeconds: 3, maxRssKb: 10, killedBy: "user", killReason: "user", startedAt: 0, endedAt: 3000, source: "wait", leftoverPids: [] }, [{ pid: 5, name: "sh", state: "S", cmdline: "sh -c x", rssKb: 2, startTime: 0 }]);
    expect(f).toContain(`${"exitSignal".padEnd(20)}9`);
    expect(f).toContain(`${"killMessage".padEnd(20)}user`);
    expect(f).toContain(`${"maxrss".padEnd(20)}10240`);
    expect(f).toContain(`${"child_pid".padEnd(20)}5`);
  });
});

describe("spec validation", () => {
  test.each([
    [{ command: " " }, "command"],
    [{ numCores: 0 }, "numCores"],
    [{ numCores: 150.5 }, "numCores"],
    [{ uid: -1 }, "uid"],
    [{ frameName: "../etc" }, "frameName"],
    [{ userName: "a:b" }, "userName"],
    [{ environment: { "A=B": "x" } }, "environment"],
    [{ gpuIds: [1, 1] }, "gpuIds"],
    [{ startTime: Number.NaN }, "startTime"],
  ] as const)("%j is refused naming %s", (over, field) => {
    const err = (() => {
      try {
        validateFrameSpec(makeSpec("/l", "x", over as Partial<FrameSpec>));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(FrameSpecError);
    expect((err as FrameSpecError).field).toBe(field);
  });
});
