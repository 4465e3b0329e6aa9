// openrqd as users run it: the built bin against dummy-cuebot's report server, over real gRPC.
//  - start to first report: spawn -> the report server has ReportRqdStartup / the first ReportStatus
//  - idle: RSS and CPU of an agent with no frames (monitor_interval 5 s, metrics on)
//  - LaunchFrame to exec: the RPC is sent -> the frame's command runs (it prints its own clock); RPC latency
//  - 200 concurrent frames (sleep): agent CPU and RSS while monitoring them, ReportStatus latency and size
// Run: npm run bench -- rqd   (or, after building: node packages/rqd/bench/rqd.bench.mjs)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { create, createRpcClient, createRpcTransport, RqdInterface, RunFrameSchema, toBinary, HostReportSchema } from "@opencue-ts/proto";

const here = new URL(".", import.meta.url).pathname;
const OPENRQD = join(here, "../bin/openrqd.js");
const DUMMY = join(here, "../../dummy-cuebot/bin/dummy-cuebot.js");
const clock = () => performance.timeOrigin + performance.now();
const base = mkdtempSync(join(tmpdir(), "openrqd-bench-"));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f1 = (x) => x.toFixed(1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CLK = 100;
const page = 4096;

function procStat(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return { cpu: (Number(f[11]) + Number(f[12])) / CLK, rssMb: (Number(f[21]) * page) / 2 ** 20 };
}
async function cpuOver(pid, ms) {
  const a = procStat(pid);
  const t = clock();
  await sleep(ms);
  const b = procStat(pid);
  return { cpuPct: ((b.cpu - a.cpu) / ((clock() - t) / 1000)) * 100, rssMb: b.rssMb };
}

async function reportServer() {
  const proc = spawn(process.execPath, [DUMMY, "report-server", "--port", "0", "--host", "127.0.0.1", "--json"], { stdio: ["ignore", "pipe", "inherit"] });
  const reports = [];
  let port = null;
  createInterface({ input: proc.stdout }).on("line", (l) => {
    const j = JSON.parse(l);
    if (j.event === "listening") port = j.port;
    else reports.push({ ...j, at: clock() });
  });
  while (port === null) await sleep(20);
  return { port, reports, stop: () => new Promise((r) => (proc.once("exit", r), proc.kill("SIGTERM"))) };
}

async function agent(cuebotPort, dir, extra = {}) {
  const cfg = {
    logging: { level: "info", format: "json" },
    grpc: { rqd_port: 0, rqd_bind_address: "127.0.0.1", cuebot_endpoints: [`127.0.0.1:${cuebotPort}`] },
    machine: { temp_path: dir, ...(extra.machine ?? {}) },
    runner: { state_dir: join(dir, "state"), kill_grace_period: "2s", prepend_timestamp: false },
    metrics: { port: 0, host: "127.0.0.1" },
    lifecycle: { drain_on_signal: "kill" },
  };
  writeFileSync(join(dir, "rqd.yaml"), JSON.stringify(cfg));
  const t0 = clock();
  const proc = spawn(process.execPath, [OPENRQD, "--config", join(dir, "rqd.yaml"), ...(extra.args ?? [])], { stdio: ["ignore", "pipe", "inherit"] });
  let port = null;
  createInterface({ input: proc.stdout }).on("line", (l) => {
    try {
      const j = JSON.parse(l);
      if (typeof j.port === "number" && String(j.message).includes("serving")) port = j.port;
    } catch {
      // not JSON
    }
  });
  while (port === null) await sleep(10);
  const transport = createRpcTransport({ host: "127.0.0.1", port, defaultTimeoutMs: 30_000 });
  return {
    t0, proc, port, client: createRpcClient(RqdInterface, { transport }),
    stop: () => new Promise((r) => { transport.close(); proc.once("exit", r); proc.kill("SIGTERM"); }),
  };
}

const runFrame = (command, logDir) => create(RunFrameSchema, {
  resourceId: randomUUID(), jobId: randomUUID(), jobName: "bench", frameId: randomUUID(), frameName: `f-${randomUUID().slice(0, 8)}`, layerId: randomUUID(),
  command, userName: "nobody", logDir, numCores: 100, gid: 65534, environment: { CUE_THREADS: "1" },
  ...(process.getuid?.() === 0 ? { uidOptional: { case: "uid", value: 65534 } } : {}),
});

const lines = [];
const cuebot = await reportServer();

// 1. start to first report, 5 starts.
const toStartup = [], toStatus = [];
for (let i = 0; i < 5; i++) {
  const dir = mkdtempSync(join(base, "start-"));
  const n0 = cuebot.reports.length;
  const a = await agent(cuebot.port, dir, { args: ["--hostname", `bench-start-${i}`] });
  const mine = () => cuebot.reports.slice(n0).filter((r) => r.host === `bench-start-${i}`);
  while (!mine().some((r) => r.kind === "report_status")) await sleep(5);
  toStartup.push(mine().find((r) => r.kind === "report_rqd_startup").at - a.t0);
  toStatus.push(mine().find((r) => r.kind === "report_status").at - a.t0);
  await a.stop();
}
lines.push("| measure | n | p50 | max |", "|---|---|---|---|");
lines.push(`| start to ReportRqdStartup received (ms) | 5 | ${f1(pct(toStartup, 50))} | ${f1(Math.max(...toStartup))} |`);
lines.push(`| start to first ReportStatus received (ms) | 5 | ${f1(pct(toStatus, 50))} | ${f1(Math.max(...toStatus))} |`);

// 2. idle RSS and CPU; 3. LaunchFrame to exec.
{
  const dir = mkdtempSync(join(base, "idle-"));
  const a = await agent(cuebot.port, dir);
  await sleep(3000);
  const idle = await cpuOver(a.proc.pid, 15_000);
  lines.push(`| idle agent RSS (MiB) | 1 | ${f1(idle.rssMb)} | |`, `| idle agent CPU (% of one core, 15 s, monitor 5 s) | 1 | ${idle.cpuPct.toFixed(2)} | |`);
  const logDir = join(dir, "logs");
  const rpc = [], exec = [];
  for (let i = 0; i < 30; i++) {
    const rf = runFrame(`echo T$(date +%s%N)`, logDir);
    const t0 = clock();
    await a.client.launchFrame({ runFrame: rf });
    rpc.push(clock() - t0);
    const log = join(logDir, `bench.${rf.frameName}.rqlog`);
    let stamp = null;
    for (let w = 0; w < 400 && stamp === null; w++) {
      await sleep(10);
      const m = /^T(\d{19})$/m.exec(readFileSync(log, "utf8"));
      if (m) stamp = Number(BigInt(m[1]) / 1000n) / 1000;
    }
    if (stamp !== null) exec.push(stamp - t0);
  }
  lines.push(`| LaunchFrame RPC latency (ms) | ${rpc.length} | ${f1(pct(rpc, 50))} | ${f1(Math.max(...rpc))} |`);
  lines.push(`| LaunchFrame sent to command running (ms) | ${exec.length} | ${f1(pct(exec, 50))} | ${f1(Math.max(...exec))} |`);
  await a.stop();
}

// 4. 200 concurrent sleep frames.
{
  const dir = mkdtempSync(join(base, "many-"));
  const a = await agent(cuebot.port, dir, { args: ["--cores", "200", "--hostname", "bench-many"] });
  const logDir = join(dir, "logs");
  const t0 = clock();
  for (let i = 0; i < 200; i++) await a.client.launchFrame({ runFrame: runFrame("sleep 300", logDir) });
  const launchS = (clock() - t0) / 1000;
  await sleep(6000);
  const busy = await cpuOver(a.proc.pid, 20_000);
  const rs = [];
  let size = 0;
  for (let i = 0; i < 5; i++) {
    const t = clock();
    const r = await a.client.reportStatus({});
    rs.push(clock() - t);
    size = toBinary(HostReportSchema, r.hostReport).length;
  }
  const frames = (await a.client.reportStatus({})).hostReport.frames.length;
  lines.push(`| 200 frames: launch all, one at a time (s) | 200 | ${f1(launchS)} | |`);
  lines.push(`| ${frames} running frames: agent CPU (% of one core, 20 s, monitor 5 s) | 1 | ${f1(busy.cpuPct)} | |`);
  lines.push(`| ${frames} running frames: agent RSS (MiB) | 1 | ${f1(busy.rssMb)} | |`);
  lines.push(`| ${frames} running frames: ReportStatus RPC (ms) / HostReport size (KiB) | 5 | ${f1(pct(rs, 50))} / ${f1(size / 1024)} | ${f1(Math.max(...rs))} |`);
  const tStop = clock();
  await a.stop();
  lines.push(`| SIGTERM (drain kill) of 200 frames to agent exit (s) | 1 | ${f1((clock() - tStop) / 1000)} | |`);
  const left = readdirSync(join(dir, "state", "frames")).filter((f) => f.endsWith(".json")).length;
  if (left) lines.push(`(warning: ${left} frame records left)`);
}
await cuebot.stop();
console.log(lines.join("\n"));
