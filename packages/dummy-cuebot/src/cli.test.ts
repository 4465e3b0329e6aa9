import { create, HostReportSchema } from "@opencue-ts/proto";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, RQD_CLIENT_COMMANDS, runCli } from "./cli.js";
import type { ReportServer } from "./report-server.js";
import { captureIo } from "./test-support/capture-io.js";
import { closedPort, startRecordingRqd, type RecordingRqd } from "./test-support/recording-rqd.js";
import { coreInfo, renderHost, reportSender, runningFrame } from "./test-support/report-sender.js";

let rqd: RecordingRqd;
beforeAll(async () => {
  rqd = await startRecordingRqd();
});
afterAll(() => rqd.close());

async function client(...args: string[]) {
  const io = captureIo();
  const code = await runCli(["rqd-client", "--host", "127.0.0.1", "--port", String(rqd.port), ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe("rqd-client: one subcommand per RQD method", () => {
  test("launch-frame builds the RunFrame from its options and prints the ids", async () => {
    const r = await client("launch-frame", "--env", "A=1,B=x=y", "--env", "C=3", "--run-as-user", "--cores", "4", "--gpus", "1",
      "--log-dir", "/var/log/frames", "--job", "myjob", "--frame", "0001-comp", "--show", "s1", "--user", "bob", "--frame-id", "cli-f1",
      "sleep", "1");
    expect(r).toMatchObject({ code: EXIT_OK, err: "" });
    const sent = rqd.frames.get("cli-f1")!;
    expect(sent).toMatchObject({
      command: "sleep 1",
      environment: { A: "1", B: "x=y", C: "3" },
      uidOptional: { case: "uid", value: 1234 },
      gid: 567,
      numCores: 400,
      numGpus: 1,
      logDir: "/var/log/frames",
      jobName: "myjob",
      frameName: "0001-comp",
      show: "s1",
      userName: "bob",
      startTime: 1_700_000_000_123n,
    });
    expect(r.out).toContain("Launched frame cli-f1 (job myjob, frame 0001-comp");
    expect(r.out).toContain("log /var/log/frames/myjob.0001-comp.rqlog");
  });

  test("launch-frame without --run-as-user leaves the uid oneof unset; --json prints the RunFrame", async () => {
    const r = await client("--json", "launch-frame", "--frame-id", "cli-f2", "echo", "hi");
    expect(r.code).toBe(EXIT_OK);
    expect(rqd.frames.get("cli-f2")!.uidOptional.case).toBeUndefined();
    const json = JSON.parse(r.out) as Record<string, unknown>;
    expect(json).toMatchObject({ frameId: "cli-f2", command: "echo hi", numCores: 100, startTime: "1700000000123", logDir: "/tmp" });
    expect(json["uid"]).toBeUndefined();
  });

  test("report-status prints the host report as tables, or JSON", async () => {
    const r = await client("report-status");
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toMatch(/^field\s+value$/m);
    expect(r.out).toMatch(/^name\s+test-host$/m);
    expect(r.out).toMatch(/^total cores\s+idle\s+locked\s+booked$/m);
    expect(r.out).toMatch(/^cli-f1\s+myjob\s+0001-comp\s+400\s/m);
    const j = await client("report-status", "--json");
    const json = JSON.parse(j.out) as { host: { name: string; freeMem: string } };
    expect(json.host).toMatchObject({ name: "test-host", freeMem: "8388608" });
  });

  test("get-run-frame prints the RunFrame as JSON", async () => {
    const r = await client("get-run-frame", "cli-f1", "--job-id", "j", "--layer-id", "l", "--run-frame-id", "7");
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.out)).toMatchObject({ frameId: "cli-f1", jobName: "myjob" });
    expect(rqd.calls.at(-1)).toMatchObject({ method: "GetRunFrame", request: { frameId: "cli-f1", jobId: "j", layerId: "l", runFrameId: 7 } });
  });

  test("running-frame-status and running-frame-status-rf print the RunningFrameInfo", async () => {
    const a = await client("running-frame-status", "cli-f1");
    expect(a.code).toBe(EXIT_OK);
    expect(a.out).toMatch(/^frame id\s+cli-f1$/m);
    expect(rqd.calls.at(-1)!.method).toBe("GetRunningFrameStatus");
    const b = await client("running-frame-status-rf", "cli-f1", "--json");
    expect(JSON.parse(b.out)).toMatchObject({ frameId: "cli-f1", numCores: 400 });
    expect(rqd.calls.at(-1)!.method).toBe("RunningFrame.Status");
  });

  test("kill-frame and running-frame-kill send the reason", async () => {
    const a = await client("kill-frame", "cli-f1", "--reason", "done here");
    expect(a).toMatchObject({ code: EXIT_OK, out: "RqdInterface/KillRunningFrame cli-f1: ok\n" });
    expect(rqd.calls.at(-1)).toMatchObject({ method: "KillRunningFrame", request: { frameId: "cli-f1", message: "done here" } });
    const b = await client("running-frame-kill", "cli-f2");
    expect(b.code).toBe(EXIT_OK);
    expect(rqd.calls.at(-1)).toMatchObject({ method: "RunningFrame.Kill", request: { runFrame: { frameId: "cli-f2" }, message: "No reason" } });
  });

  test.each([
    [["lock", "300"], "Lock", { cores: 300 }],
    [["unlock", "100"], "Unlock", { cores: 100 }],
    [["lock-all"], "LockAll", {}],
    [["unlock-all"], "UnlockAll", {}],
    [["nimby-on"], "NimbyOn", {}],
    [["nimby-off"], "NimbyOff", {}],
    [["reboot-now"], "RebootNow", {}],
    [["reboot-idle"], "RebootIdle", {}],
    [["restart-now"], "RestartRqdNow", {}],
    [["restart-idle"], "RestartRqdIdle", {}],
    [["shutdown-now"], "ShutdownRqdNow", {}],
    [["shutdown-idle"], "ShutdownRqdIdle", {}],
  ])("%j calls %s", async (args, rpc, request) => {
    const before = rqd.calls.length;
    const r = await client(...args);
    expect(r).toMatchObject({ code: EXIT_OK, err: "" });
    expect(r.out).toMatch(/: ok\n$/);
    expect(rqd.calls.slice(before)).toEqual([{ method: rpc, request: expect.objectContaining(request) }]);
  });

  test("the command table covers all 19 RQD methods once", () => {
    const rpcs = RQD_CLIENT_COMMANDS.map((c) => c.rpc).sort();
    expect(new Set(rpcs).size).toBe(19);
    expect(rpcs.filter((r) => r.startsWith("RunningFrame/"))).toEqual(["RunningFrame/Kill", "RunningFrame/Status"]);
  });
});

describe("rqd-client errors", () => {
  test("a gRPC error prints CODE: message and exits 1", async () => {
    const r = await client("kill-frame", "missing");
    expect(r).toEqual({ code: EXIT_FAILURE, out: "", err: "NOT_FOUND: Could not find frame with id missing\n" });
  });

  test("--timeout is the call deadline", async () => {
    rqd.hang.add("RebootNow");
    try {
      const r = await client("--timeout", "100", "reboot-now");
      expect(r.code).toBe(EXIT_FAILURE);
      expect(r.err).toMatch(/^DEADLINE_EXCEEDED: /);
    } finally {
      rqd.hang.delete("RebootNow");
    }
  });

  test("an unreachable host prints one line and exits 1", async () => {
    const port = await closedPort();
    const io = captureIo();
    const code = await runCli(["rqd-client", "--host", "127.0.0.1", "--port", String(port), "report-status"], io);
    expect(code).toBe(EXIT_FAILURE);
    expect(io.err()).toMatch(new RegExp(`^Failed to connect to RQD at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\n$`));
  });

  test.each([
    [["rqd-client", "lock"], "missing N"],
    [["rqd-client", "lock", "many"], "N must be an integer"],
    [["rqd-client", "--port", "99999", "lock-all"], "--port must be between 1 and 65535"],
    [["rqd-client", "launch-frame", "--cores", "0", "x"], "--cores must be between 1"],
    [["rqd-client", "launch-frame", "--env", "NOEQUALS", "x"], "--env expects KEY=VALUE pairs"],
    [["rqd-client", "launch-frame", "--bogus", "x"], "--bogus"],
    [["rqd-client", "launch-frame"], "missing CMD..."],
    [["rqd-client", "nimby-on", "extra"], 'unexpected argument "extra"'],
    [["rqd-client", "frobnicate"], 'unknown command "frobnicate"'],
    [["rqd-client"], "missing command"],
    [["report-server", "--port", "x"], "--port must be an integer"],
    [["nope"], 'unknown command "nope"'],
    [[], "missing command"],
  ])("%j -> exit 2 naming the problem, with usage", async (argv, message) => {
    const io = captureIo();
    expect(await runCli(argv, io)).toBe(EXIT_USAGE);
    expect(io.err()).toContain(message);
    expect(io.err()).toContain("Usage: dummy-cuebot");
    expect(io.out()).toBe("");
  });

  test.each([[["--help"]], [["report-server", "--help"]], [["rqd-client", "--help"]], [["rqd-client", "launch-frame", "--help"]], [["rqd-client", "kill-frame", "-h"]]])(
    "%j prints usage to stdout and exits 0",
    async (argv) => {
      const io = captureIo();
      expect(await runCli(argv, io)).toBe(EXIT_OK);
      expect(io.out()).toMatch(/^Usage: dummy-cuebot/);
      expect(io.err()).toBe("");
    },
  );
});

describe("report-server (in-process)", () => {
  test("prints one readable line per report and stops when the signal aborts", async () => {
    const stop = new AbortController();
    let server!: ReportServer;
    let listening!: () => void;
    const started = new Promise<void>((resolve) => (listening = resolve));
    const io = captureIo({ signal: stop.signal, onListening: (s) => ((server = s), listening()) });
    const done = runCli(["report-server", "--port", "0", "--host", "127.0.0.1"], io).then((code) => ({ code }));
    await started;
    const { client, transport } = reportSender(server.port);
    await client.reportRqdStartup({ bootReport: { host: renderHost("r1"), coreInfo } });
    await client.reportStatus({ hostReport: create(HostReportSchema, { host: renderHost("r1"), frames: [runningFrame("fa")], coreInfo }) });
    await client.reportRunningFrameCompletion({ frameCompleteReport: { host: renderHost("r1"), frame: runningFrame("fa"), exitStatus: 0, runTime: 2 } });
    await server.waitFor((r) => r.seq === 3, 2000);
    stop.abort();
    transport.close();
    const { code } = await done;
    expect(code).toBe(EXIT_OK);
    const lines = io.out().trim().split("\n");
    expect(lines[0]).toBe(`dummy-cuebot report-server listening on 127.0.0.1:${server.port}`);
    expect(lines[1]).toMatch(/RqdReport: Received a report_rqd_startup request from r1: cores 700\/800 idle/);
    expect(lines[2]).toMatch(/Received a report_status request from r1: frames: \[job\.0001-layer \(fa\) cores 100 rss 2\.0 MiB\]/);
    expect(lines[3]).toMatch(/Received a report_running_frame_completion request from r1: frame job\.0001-layer \(fa\) exit_status: 0 exit_signal: 0 run_time: 2s/);
    expect(lines).toHaveLength(4);
  });
});
