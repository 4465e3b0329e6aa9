import { Code, ConnectError } from "@opencue-ts/proto";
import { createRqdClient, type RqdClient } from "./rqd-client.js";
import { closedPort, startRecordingRqd, type RecordingRqd } from "./test-support/recording-rqd.js";

let rqd: RecordingRqd;
let client: RqdClient;

beforeAll(async () => {
  rqd = await startRecordingRqd();
  client = createRqdClient({ host: "127.0.0.1", port: rqd.port, timeoutMs: 5000 });
});
afterAll(async () => {
  client.close();
  await rqd.close();
});

const lastCall = () => rqd.calls.at(-1)!;

describe("createRqdClient: every RqdInterface and RunningFrame method", () => {
  test("launchCommand sends a complete RunFrame, which getRunFrame and both status calls then see", async () => {
    const sent = await client.launchCommand({ command: "echo hi", environment: { A: "1" }, cores: 2 });
    expect(lastCall().method).toBe("LaunchFrame");
    expect(rqd.frames.get(sent.frameId)?.command).toBe("echo hi");
    expect(rqd.frames.get(sent.frameId)?.environment).toEqual({ A: "1" });
    expect(rqd.frames.get(sent.frameId)?.numCores).toBe(200);

    expect((await client.getRunFrame({ frameId: sent.frameId }))?.jobId).toBe(sent.jobId);
    expect(lastCall().method).toBe("GetRunFrame");
    expect((await client.getRunningFrameStatus(sent.frameId))?.frameName).toBe("test_frame");
    expect(lastCall().method).toBe("GetRunningFrameStatus");
    expect((await client.runningFrameStatus({ frameId: sent.frameId }))?.numCores).toBe(200);
    expect(lastCall().method).toBe("RunningFrame.Status");
  });

  test("reportStatus returns the host report with the running frames", async () => {
    const sent = await client.launchFrame({ frameId: "f-report", numCores: 100, jobName: "j", frameName: "f" });
    expect(sent.$typeName).toBe("rqd.RunFrame");
    const report = await client.reportStatus();
    expect(lastCall().method).toBe("ReportStatus");
    expect(report?.host?.name).toBe("test-host");
    expect(report?.frames.map((f) => f.frameId)).toContain("f-report");
  });

  test("killRunningFrame sends frame id and reason (default 'No reason')", async () => {
    await client.launchFrame({ frameId: "k1", numCores: 100 });
    await client.launchFrame({ frameId: "k2", numCores: 100 });
    await client.killRunningFrame("k1", "because");
    expect(lastCall()).toMatchObject({ method: "KillRunningFrame", request: { frameId: "k1", message: "because" } });
    await client.killRunningFrame("k2");
    expect(lastCall()).toMatchObject({ request: { frameId: "k2", message: "No reason" } });
    expect(rqd.frames.has("k1") || rqd.frames.has("k2")).toBe(false);
  });

  test("runningFrameKill goes through the RunningFrame service with the RunFrame", async () => {
    await client.launchFrame({ frameId: "rk", numCores: 100 });
    await client.runningFrameKill({ frameId: "rk" }, "rf reason");
    expect(lastCall()).toMatchObject({ method: "RunningFrame.Kill", request: { runFrame: { frameId: "rk" }, message: "rf reason" } });
    expect(rqd.frames.has("rk")).toBe(false);
  });

  test("lock, unlock, lockAll, unlockAll change the reported core counts", async () => {
    await client.unlockAll();
    await client.lock(300);
    expect(lastCall()).toMatchObject({ method: "Lock", request: { cores: 300 } });
    expect((await client.reportStatus())?.coreInfo?.lockedCores).toBe(300);
    await client.unlock(100);
    expect(lastCall()).toMatchObject({ method: "Unlock", request: { cores: 100 } });
    expect(rqd.state.lockedCores).toBe(200);
    await client.lockAll();
    expect(rqd.state.lockedCores).toBe(800);
    await client.unlockAll();
    expect(rqd.state.lockedCores).toBe(0);
  });

  test.each([
    ["nimbyOn", "NimbyOn"],
    ["nimbyOff", "NimbyOff"],
    ["rebootNow", "RebootNow"],
    ["rebootIdle", "RebootIdle"],
    ["restartRqdNow", "RestartRqdNow"],
    ["restartRqdIdle", "RestartRqdIdle"],
    ["shutdownRqdNow", "ShutdownRqdNow"],
    ["shutdownRqdIdle", "ShutdownRqdIdle"],
  ] as const)("%s calls %s", async (method, rpc) => {
    const before = rqd.calls.length;
    await client[method]();
    expect(rqd.calls.slice(before).map((c) => c.method)).toEqual([rpc]);
  });
});

describe("createRqdClient errors", () => {
  test("server statuses arrive as ConnectError with code and message", async () => {
    const err = await client.killRunningFrame("nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect(err).toMatchObject({ code: Code.NotFound, rawMessage: "Could not find frame with id nope" });
    await expect(client.launchFrame({ frameId: "zero", numCores: 0 })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  test("a per-call deadline gives DEADLINE_EXCEEDED", async () => {
    rqd.hang.add("RebootIdle");
    try {
      await expect(client.rebootIdle({ timeoutMs: 100 })).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    } finally {
      rqd.hang.delete("RebootIdle");
    }
  });

  test("the client's timeoutMs is the default deadline", async () => {
    const quick = createRqdClient({ host: "127.0.0.1", port: rqd.port, timeoutMs: 100 });
    rqd.hang.add("NimbyOn");
    try {
      await expect(quick.nimbyOn()).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    } finally {
      rqd.hang.delete("NimbyOn");
      quick.close();
    }
  });

  test("an unreachable host gives UNAVAILABLE", async () => {
    const dead = createRqdClient({ host: "127.0.0.1", port: await closedPort() });
    await expect(dead.reportStatus()).rejects.toMatchObject({ code: Code.Unavailable });
    dead.close();
  });
});
