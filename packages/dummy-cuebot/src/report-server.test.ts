import { Code } from "@opencue-ts/proto";
import { createReportServer, WaitForTimeoutError, type ReceivedReport, type ReportServer } from "./report-server.js";
import { coreInfo, renderHost, reportSender, runningFrame } from "./test-support/report-sender.js";

describe("createReportServer", () => {
  let server: ReportServer;
  let clock = 1_700_000_000_000;

  beforeAll(async () => {
    server = await createReportServer({ now: () => clock++ });
  });
  afterAll(() => server.close());

  test("records startup, status and completion reports and keeps the latest state per host", async () => {
    const { client, transport } = reportSender(server.port);
    await client.reportRqdStartup({ bootReport: { host: renderHost("h1"), coreInfo } });
    await client.reportStatus({ hostReport: { host: renderHost("h1"), frames: [runningFrame("f1")], coreInfo } });
    await client.reportStatus({ hostReport: { host: renderHost("h1"), frames: [runningFrame("f1"), runningFrame("f2")], coreInfo } });
    await client.reportRunningFrameCompletion({ frameCompleteReport: { host: renderHost("h1"), frame: runningFrame("f1"), exitStatus: 3, runTime: 7 } });
    await client.reportStatus({ hostReport: { host: renderHost("h2"), coreInfo } });
    transport.close();

    expect(server.received.map((r) => [r.seq, r.kind, r.hostName])).toEqual([
      [1, "report_rqd_startup", "h1"],
      [2, "report_status", "h1"],
      [3, "report_status", "h1"],
      [4, "report_running_frame_completion", "h1"],
      [5, "report_status", "h2"],
    ]);
    const h1 = server.hosts.get("h1")!;
    expect(h1.boot?.coreInfo?.totalCores).toBe(800);
    expect(h1.lastStatus?.frames.map((f) => f.frameId)).toEqual(["f1", "f2"]);
    expect(h1.completedFrames.map((c) => [c.frame?.frameId, c.exitStatus, c.runTime])).toEqual([["f1", 3, 7]]);
    expect(h1.lastStatus?.host?.freeMem).toBe(9_007_199_254_740_993n);
    expect(server.hosts.get("h2")?.boot).toBeUndefined();
    expect(server.received[0]!.receivedAt).toBeLessThan(server.received[4]!.receivedAt);
  });

  test("reports() replays from the first report, then yields live ones", async () => {
    const it = server.reports();
    const first = await it.next();
    expect(first.value).toMatchObject({ seq: 1 });
    for (let i = 1; i < server.received.length; i++) await it.next();
    const pending = it.next();
    const { client, transport } = reportSender(server.port);
    await client.reportStatus({ hostReport: { host: renderHost("live"), coreInfo } });
    transport.close();
    expect((await pending).value).toMatchObject({ kind: "report_status", hostName: "live" });
    await it.return?.(undefined);
  });

  test("waitFor resolves with an already received report and with one arriving later", async () => {
    const past = await server.waitFor((r) => r.kind === "report_running_frame_completion", 1000);
    expect(past.hostName).toBe("h1");

    const after = server.received.length;
    const waiting = server.waitFor((r) => r.seq > after && r.hostName === "later", 5000);
    const { client, transport } = reportSender(server.port);
    await client.reportRqdStartup({ bootReport: { host: renderHost("later"), coreInfo } });
    transport.close();
    expect(await waiting).toMatchObject({ kind: "report_rqd_startup", hostName: "later" });
  });

  test("waitFor rejects with WaitForTimeoutError when nothing matches in time", async () => {
    const started = Date.now();
    const err = await server.waitFor((r: ReceivedReport) => r.hostName === "never", 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitForTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
  });

  test("a report without a host name is INVALID_ARGUMENT and is not recorded", async () => {
    const before = server.received.length;
    const { client, transport } = reportSender(server.port);
    await expect(client.reportStatus({ hostReport: { coreInfo } })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(client.reportRqdStartup({})).rejects.toMatchObject({ code: Code.InvalidArgument });
    transport.close();
    expect(server.received.length).toBe(before);
  });

  test("failWith makes one RPC fail with a chosen code until cleared", async () => {
    const { client, transport } = reportSender(server.port);
    server.failWith("report_status", Code.Unavailable);
    await expect(client.reportStatus({ hostReport: { host: renderHost("f"), coreInfo } })).rejects.toMatchObject({ code: Code.Unavailable });
    await client.reportRqdStartup({ bootReport: { host: renderHost("f"), coreInfo } });
    server.failWith("report_status", undefined);
    await client.reportStatus({ hostReport: { host: renderHost("f"), coreInfo } });
    transport.close();
    expect(server.hosts.get("f")?.lastStatus).toBeDefined();
  });
});

describe("report server shutdown", () => {
  test("close() ends while a client holds its session; iterators and waiters finish", async () => {
    const server = await createReportServer();
    const { client, transport } = reportSender(server.port);
    await client.reportRqdStartup({ bootReport: { host: renderHost("held"), coreInfo } });
    const collected: string[] = [];
    const drained = (async () => {
      for await (const r of server.reports()) collected.push(r.hostName);
    })();
    const waiting = server.waitFor(() => false, 10_000).catch((e: unknown) => e);

    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await drained;
    expect(collected).toEqual(["held"]);
    expect(await waiting).toBeInstanceOf(WaitForTimeoutError);
    await expect(client.reportStatus({ hostReport: { host: renderHost("held") } })).rejects.toMatchObject({ code: Code.Unavailable });
    transport.close();
  });
});
