// Real processes for integration tests: dummy-cuebot's report server (its built bin, JSON lines) and
// openrqd (the built bin/openrqd.js) with a YAML config in a temp dir. Waits are predicates over what the
// processes printed, with generous timeouts: the test machine is shared and slow.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { create, createRpcClient, createRpcTransport, RqdInterface, RunFrameSchema, RunningFrame, type MessageInitShape, type RunFrame } from "@opencue-ts/proto";
import { randomUUID } from "node:crypto";

const repo = new URL("../../../../", import.meta.url).pathname;
export const OPENRQD_BIN = join(repo, "packages/rqd/bin/openrqd.js");
export const DUMMY_CUEBOT_BIN = join(repo, "packages/dummy-cuebot/bin/dummy-cuebot.js");

// Just the parts of dummy-cuebot's proto3 JSON the tests read.
export interface JsonReport {
  kind: "report_rqd_startup" | "report_status" | "report_running_frame_completion";
  seq: number;
  host: string;
  report: {
    host?: { name: string; facility: string; numProcs: number; coresPerProc: number; totalMem: string; tags: string[]; state: string; nimbyEnabled: boolean; nimbyLocked: boolean; attributes: Record<string, string> };
    coreInfo?: { totalCores: number; idleCores: number; lockedCores: number; bookedCores: number };
    frames?: { frameId: string; rss: string; numCores: number; jobName: string }[];
    frame?: { frameId: string; frameName: string; jobName: string; maxRss: string };
    exitStatus?: number;
    exitSignal?: number;
    runTime?: number;
  };
}

export async function waitUntil<T>(what: string, fn: () => T | undefined | null | false, timeoutMs: number, description?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${description ? `\n${description()}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exitOf = (p: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => {
  if (p.exitCode !== null || p.signalCode !== null) r({ code: p.exitCode, signal: p.signalCode });
  else p.once("exit", (code, signal) => r({ code, signal }));
});

export interface ReportServer {
  port: number;
  reports: JsonReport[];
  proc: ChildProcess;
  waitFor(pred: (r: JsonReport) => boolean, timeoutMs?: number, what?: string): Promise<JsonReport>;
  stop(): Promise<void>;
}

export async function startReportServer(port = 0): Promise<ReportServer> {
  const proc = spawn(process.execPath, [DUMMY_CUEBOT_BIN, "report-server", "--port", String(port), "--host", "127.0.0.1", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  const reports: JsonReport[] = [];
  let listening: number | null = null;
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on("line", (line) => {
    const j = JSON.parse(line) as { event?: string; port?: number } & JsonReport;
    if (j.event === "listening") listening = j.port!;
    else if (j.kind) reports.push(j);
  });
  const ended = exitOf(proc);
  await waitUntil("the report server to listen", () => {
    if (proc.exitCode !== null) throw new Error(`dummy-cuebot exited: ${stderr}`);
    return listening;
  }, 20_000, () => stderr);
  return {
    port: listening!,
    reports,
    proc,
    waitFor: (pred, timeoutMs = 20_000, what = "a report") => waitUntil(what, () => reports.find(pred), timeoutMs, () => `reports: ${reports.map((r) => r.kind).join(", ")}`),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await ended;
    },
  };
}

export interface LogLine {
  level: string;
  message: string;
  [k: string]: unknown;
}

export interface Rqd {
  port: number;
  pid: number;
  dir: string;
  logs: LogLine[];
  stderr(): string;
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  client: ReturnType<typeof createRpcClient<typeof RqdInterface>>;
  runningFrame: ReturnType<typeof createRpcClient<typeof RunningFrame>>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A YAML config (as a nested object) merged over the test defaults: fast monitor, loopback, own state dir. */
export async function startRqd(cuebotPort: number, opts: { dir?: string; config?: Record<string, Record<string, unknown>>; args?: string[] } = {}): Promise<Rqd> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "openrqd-test-"));
  const cfg: Record<string, Record<string, unknown>> = {
    logging: { level: "debug", format: "json" },
    grpc: { rqd_port: 0, rqd_bind_address: "127.0.0.1", cuebot_endpoints: [`127.0.0.1:${cuebotPort}`], backoff_delay_max: "200ms", backoff_retry_attempts: 3, call_timeout: "3s" },
    machine: { monitor_interval: "1s", frame_complete_delivery_interval: "300ms", frame_complete_send_timeout: "3s", facility: "test", temp_path: dir },
    runner: { state_dir: join(dir, "state"), kill_grace_period: "2s" },
    metrics: { port: 0, host: "127.0.0.1" },
    lifecycle: { reboot_command: ["/bin/sh", "-c", `echo rebooted > ${join(dir, "rebooted")}`] },
  };
  for (const [section, values] of Object.entries(opts.config ?? {})) cfg[section] = { ...cfg[section], ...values };
  const file = join(dir, "rqd.yaml");
  writeFileSync(file, JSON.stringify(cfg, null, 2)); // JSON is YAML
  const proc = spawn(process.execPath, [OPENRQD_BIN, "--config", file, ...(opts.args ?? [])], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, OPENCUE_RQD_CONFIG: "" } });
  const logs: LogLine[] = [];
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ level: "raw", message: line });
    }
  });
  const exited = exitOf(proc);
  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 20_000, what = "a log line") =>
    waitUntil(what, () => logs.find(pred), timeoutMs, () => `stderr: ${stderr}\nlogs:\n${logs.map((l) => `${l.level} ${l.message}`).join("\n")}`);
  const serving = await Promise.race([
    waitForLog((l) => typeof l.port === "number" && l.message.includes("serving"), 30_000, "openrqd to serve"),
    exited.then((e) => Promise.reject(new Error(`openrqd exited (${e.code ?? e.signal}) before serving: ${stderr}`))),
  ]);
  const port = serving.port as number;
  const transport = createRpcTransport({ host: "127.0.0.1", port, defaultTimeoutMs: 15_000 });
  return {
    port, pid: proc.pid!, dir, logs, proc, exited, waitForLog,
    stderr: () => stderr,
    client: createRpcClient(RqdInterface, { transport }),
    runningFrame: createRpcClient(RunningFrame, { transport }),
    async stop(signal = "SIGTERM") {
      transport.close();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** A RunFrame as Cuebot sends one; the frame runs as nobody when the tests run as root. */
export function runFrame(command: string, logDir: string, over: Omit<MessageInitShape<typeof RunFrameSchema>, "$typeName"> = {}): RunFrame {
  const frameId = randomUUID();
  return create(RunFrameSchema, {
    resourceId: randomUUID(), jobId: randomUUID(), jobName: "test-job", frameId, frameName: `0001-${frameId.slice(0, 8)}`, layerId: randomUUID(),
    command, userName: "nobody", logDir, show: "show", shot: "shot", numCores: 100, gid: 65534, startTime: BigInt(Date.now()),
    environment: { CUE_THREADS: "1", CUE_THREADABLE: "0" },
    ...(process.getuid?.() === 0 ? { uidOptional: { case: "uid", value: 65534 } } : {}),
    ...over,
  });
}

/** Whether a process runs. A zombie (dead, waiting for its new parent, init, to reap it) does not. */
export const isAlive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
  } catch {
    return false;
  }
};

/** Live (non-zombie) processes of a session. */
export const sessionMembers = (sid: number): number[] =>
  readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(fields[3]) === sid && !/^[ZX]$/.test(fields[0]!);
    } catch {
      return false;
    }
  });
