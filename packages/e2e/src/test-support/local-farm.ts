// A whole farm as real processes on loopback, for end-to-end tests: dummy-cuebot report-server with
// an embedded PostgreSQL (data under the run directory), openrqd agents on their own loopback
// addresses and one common port, and cue-scheduler on the same database. Every process is tracked;
// stop() ends them and lists anything still alive whose command line mentions the run directory
// (frames, PostgreSQL), so a test can assert that nothing is left behind.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createCuebotDb } from "@opencue-ts/cuebot-db";

type CuebotDb = ReturnType<typeof createCuebotDb>;

/** A job's state and frame counts (job_stat), as the tests read them. */
export interface JobProgress {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly total: number;
  readonly succeeded: number;
  readonly running: number;
  readonly waiting: number;
  readonly depend: number;
  readonly dead: number;
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const bins = {
  cuebot: join(repoRoot, "packages/dummy-cuebot/bin/dummy-cuebot.js"),
  rqd: join(repoRoot, "packages/rqd/bin/openrqd.js"),
  scheduler: join(repoRoot, "packages/scheduler-service/bin/cue-scheduler.js"),
};

export interface AgentSpec {
  readonly ip: string;
  readonly cores: number;
  readonly memory: string;
  readonly tags: readonly string[];
}

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

export interface LocalFarm {
  readonly runDir: string;
  readonly databaseUrl: string;
  readonly db: CuebotDb;
  readonly rqdPort: number;
  readonly frameLogDir: string;
  /** Runs a dummy-cuebot subcommand against the farm's database; resolves with its output. */
  cuebotCli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  startAgent(index: number): Promise<void>;
  /** Sends a signal to an agent and waits for it to exit. */
  killAgent(index: number, signal: NodeJS.Signals): Promise<void>;
  startScheduler(): void;
  job(name: string): Promise<JobProgress | undefined>;
  /** Polls until predicate holds for the job; fails with the job's last state. */
  waitForJob(name: string, predicate: (job: JobProgress) => boolean, timeoutMs?: number): Promise<JobProgress>;
  waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  /** Stops everything; returns what is still running afterwards (should be empty). */
  stop(): Promise<string[]>;
}

const freePortOn = (host: string, port = 0): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(port, host, () => {
      const address = s.address();
      const p = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(p));
    });
  });

async function commonPort(ips: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePortOn(ips[0]!);
    try {
      for (const ip of ips.slice(1)) await freePortOn(ip, port);
      return port;
    } catch {
      // Taken on another address; try another port.
    }
  }
  throw new Error("no port free on every agent address");
}

const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

/** Processes (other than this one) whose command line mentions `needle`. */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      if (cmd.includes(needle)) found.push(`${pid}: ${cmd.slice(0, 160)}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

export async function startLocalFarm(agents: readonly AgentSpec[]): Promise<LocalFarm> {
  const runDir = mkdtempSync(join(tmpdir(), "opencue-e2e-"));
  // As root, PostgreSQL runs as "postgres" and must be able to enter the run directory.
  chmodSync(runDir, 0o755);
  const logDir = join(runDir, "logs");
  const frameLogDir = join(runDir, "frame-logs");
  mkdirSync(logDir);
  mkdirSync(frameLogDir);
  const procs: Proc[] = [];
  const agentProcs = new Map<number, Proc>();
  let counter = 0;

  const start = (name: string, args: readonly string[]): Proc => {
    const log = createWriteStream(join(logDir, `${name}-${++counter}.log`));
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => { log.end(); resolve(code); }));
    const p = { name, child, exited };
    procs.push(p);
    return p;
  };

  const cuebot = start("dummy-cuebot", [bins.cuebot, "report-server", "--embedded", "--data-dir", join(runDir, "pg"), "--host", "127.0.0.1", "--port", "0", "--json",
    "--sweep-interval", "1", "--host-down-after", "20", "--orphan-after", "30"]);
  const listening = await new Promise<{ port: number; database: string }>((resolve, reject) => {
    createInterface({ input: cuebot.child.stdout! }).once("line", (l) => {
      try {
        resolve(JSON.parse(l) as { port: number; database: string });
      } catch (e) {
        reject(e as Error);
      }
    });
    void cuebot.exited.then((code) => reject(new Error(`dummy-cuebot exited (${code}); logs in ${logDir}`)));
  });
  const db = createCuebotDb(listening.database);
  const rqdPort = await commonPort(agents.map((a) => a.ip));

  const waitFor = async <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (logs in ${logDir})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const startAgent = async (index: number): Promise<void> => {
    const a = agents[index]!;
    const before = await db.selectFrom("host_stat").innerJoin("host", "host.pk_host", "host_stat.pk_host").select("host_stat.ts_booted").where("host.str_name", "=", a.ip).executeTakeFirst();
    const p = start(`openrqd-${index + 1}`, [bins.rqd, "--bind", a.ip, "--port", String(rqdPort), "--hostname", a.ip, "--cores", String(a.cores), "--memory", a.memory,
      "--tags", a.tags.join(","), "--state-dir", join(runDir, `rqd-${index + 1}`), "--no-metrics", "--cuebot", `127.0.0.1:${listening.port}`, "--facility", "local",
      "--set", "machine.monitor_interval=1s", "--set", "machine.frame_complete_delivery_interval=1s"]);
    agentProcs.set(index, p);
    // Registered (or, on a restart, re-registered: its status reports resume).
    const since = new Date();
    await waitFor(`agent ${a.ip} to report`, async () => {
      const row = await db.selectFrom("host_stat").innerJoin("host", "host.pk_host", "host_stat.pk_host").select(["host_stat.ts_ping"]).where("host.str_name", "=", a.ip).executeTakeFirst();
      return row !== undefined && (before === undefined || (row.ts_ping as unknown as Date) > since);
    });
  };

  const cuebotCli = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bins.cuebot, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      child.once("exit", (code) => resolve({ code, stdout, stderr }));
    });

  const job = async (name: string): Promise<JobProgress | undefined> => {
    const j = await db.selectFrom("job").innerJoin("job_stat", "job_stat.pk_job", "job.pk_job")
      .select(["job.pk_job", "job.str_name", "job.str_state", "job.int_frame_count", "job_stat.int_succeeded_count", "job_stat.int_running_count",
        "job_stat.int_waiting_count", "job_stat.int_depend_count", "job_stat.int_dead_count"])
      .where("job.str_name", "=", name).executeTakeFirst();
    return j && { id: j.pk_job, name: j.str_name, state: j.str_state, total: j.int_frame_count, succeeded: j.int_succeeded_count, running: j.int_running_count,
      waiting: j.int_waiting_count, depend: j.int_depend_count, dead: j.int_dead_count };
  };

  const farm: LocalFarm = {
    runDir, databaseUrl: listening.database, db, rqdPort, frameLogDir, cuebotCli, startAgent,
    async killAgent(index, signal) {
      const p = agentProcs.get(index);
      if (!p || !alive(p.child)) return;
      p.child.kill(signal);
      await p.exited;
    },
    startScheduler() {
      start("cue-scheduler", [bins.scheduler, "--database-url", listening.database, "--grpc-port", String(rqdPort), "--facility", "local", "--metrics-port", "0",
        "--set", "logging.format=json", "--set", "queue.cluster_reload_interval=1s", "--set", "queue.cluster_empty_sleep=1s",
        "--set", "queue.cluster_saturated_sleep=1s", "--set", "host_cache.monitoring_interval=1s"]);
    },
    job,
    async waitForJob(name, predicate, timeoutMs = 60_000) {
      let last: JobProgress | undefined;
      try {
        return await waitFor(`job ${name}`, async () => {
          last = await job(name);
          return last !== undefined && predicate(last) ? last : undefined;
        }, timeoutMs);
      } catch (e) {
        throw new Error(`${(e as Error).message}; last state: ${JSON.stringify(last)}`);
      }
    },
    waitFor,
    async stop() {
      await db.destroy();
      for (const p of [...procs].reverse()) {
        if (!alive(p.child)) continue;
        p.child.kill("SIGTERM");
        const timer = setTimeout(() => alive(p.child) && p.child.kill("SIGKILL"), 10_000);
        await p.exited;
        clearTimeout(timer);
      }
      // PostgreSQL's own children end a moment after the postmaster answers the stop.
      let left: string[] = [];
      for (let i = 0; i < 50; i++) {
        left = processesMentioning(runDir);
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (left.length === 0) rmSync(runDir, { recursive: true, force: true });
      return left;
    },
  };
  try {
    for (let i = 0; i < agents.length; i++) await farm.startAgent(i);
  } catch (e) {
    await farm.stop();
    throw e;
  }
  return farm;
}
