#!/usr/bin/env node
// `npm run demo`: what works end to end today, with real parts only.
//  1. dummy-cuebot's report server runs as its own process on a free loopback port (a stand-in Cuebot).
//  2. This script plays the reporting side of an RQD host: it reads this machine's real facts with
//     @opencue-ts/host-monitor, sends ReportRqdStartup over gRPC, runs a real frame process, samples its
//     process tree while it runs (ReportStatus with RunningFrameInfo), and reports its real exit status
//     (ReportRunningFrameCompletion).
//  3. Everything stops; no process is left behind, also on Ctrl-C.
// The full local farm (openrqd agents, cue-scheduler, PostgreSQL) replaces this once those land.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { randomUUID } from "node:crypto";
import { mkdtempSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHostMonitor, readProcessTree, toChildrenProcStats } from "@opencue-ts/host-monitor";
import { createRpcClient, RqdReportInterface } from "@opencue-ts/proto";

const root = new URL("..", import.meta.url).pathname;
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s) => console.log(`\n${bold("▶ " + s)}`);
const children = new Set();
let stopping = false;

const freePort = () => new Promise((res, rej) => {
  const s = createServer();
  s.once("error", rej);
  s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => res(port)); });
});

async function cleanup(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  await Promise.all([...children].map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once("exit", r)))));
  process.exit(code);
}
process.on("SIGINT", () => { console.log("\ninterrupted: stopping everything"); void cleanup(130); });
process.on("SIGTERM", () => void cleanup(143));

const port = await freePort();
step(`dummy-cuebot report-server on 127.0.0.1:${port} (a real process)`);
const server = spawn(process.execPath, [join(root, "packages/dummy-cuebot/bin/dummy-cuebot.js"), "report-server", "--host", "127.0.0.1", "--port", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
children.add(server);
let serverOut = "";
server.stdout.on("data", (b) => {
  serverOut += b;
  for (const line of b.toString().split("\n").filter(Boolean)) console.log(`  [dummy-cuebot] ${line}`);
});
await new Promise((res, rej) => {
  const t = setTimeout(() => rej(new Error("report server did not start")), 10_000);
  const check = () => (serverOut.includes("listening") ? (clearTimeout(t), res()) : setTimeout(check, 50));
  check();
});

const cuebot = createRpcClient(RqdReportInterface, { host: "127.0.0.1", port, defaultTimeoutMs: 5000 });
const monitor = createHostMonitor({ facility: "local", customTags: ["demo"] });

step("ReportRqdStartup with this machine's real RenderHost and CoreDetail");
const host = await monitor.readRenderHost();
const cores = await monitor.readCoreDetail();
console.log(`  ${host.name}: ${host.numProcs} socket(s) × ${Number(host.coresPerProc) / 100} cores, ${(Number(host.totalMem) / 1048576).toFixed(1)} GiB, ${host.numGpus} GPU(s), tags ${host.tags.join(",")}`);
await cuebot.reportRqdStartup({ bootReport: { host, coreInfo: cores } });

step("a real frame: a shell that forks two children which allocate memory, then exits 0");
const logDir = mkdtempSync(join(tmpdir(), "opencue-demo-"));
const logPath = join(logDir, "demo.0001-render.rqlog");
const frameCmd = `for i in 1 2; do node -e 'const b=Buffer.alloc(48*1024*1024,1); setTimeout(()=>b.length,1500)' & done; wait; echo frame done`;
const frame = spawn("/bin/sh", ["-c", frameCmd], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
children.add(frame);
const log = createWriteStream(logPath);
frame.stdout.pipe(log);
frame.stderr.pipe(log);
const ids = { resourceId: randomUUID(), jobId: randomUUID(), jobName: "demo-shot-render", frameId: randomUUID(), frameName: "0001-render", layerId: randomUUID() };
const startTime = BigInt(Date.now());
const exited = new Promise((res) => frame.once("exit", (code, signal) => res({ code, signal })));
let maxRss = 0n;
let done = false;
void exited.then(() => { done = true; });
while (!done) {
  const tree = await readProcessTree(frame.pid);
  if (tree) {
    const rss = BigInt(tree.rssKb);
    if (rss > maxRss) maxRss = rss;
    const info = { ...ids, numCores: 100, startTime, rss, maxRss, vsize: BigInt(tree.vsizeKb), maxVsize: BigInt(tree.vsizeKb), pss: BigInt(tree.pssKb), maxPss: BigInt(tree.pssKb), children: toChildrenProcStats(tree) };
    await cuebot.reportStatus({ hostReport: { host: await monitor.readRenderHost(), frames: [info], coreInfo: await monitor.readCoreDetail({ bookedCores: 1 }) } });
    console.log(`  sampled ${tree.processes.length} process(es), rss ${(Number(rss) / 1024).toFixed(0)} MiB`);
  }
  await new Promise((r) => setTimeout(r, 500));
}
const { code, signal } = await exited;
children.delete(frame);
const runTime = Math.round((Date.now() - Number(startTime)) / 1000);

step(`ReportRunningFrameCompletion: exit status ${code}, ${runTime} s, max rss ${(Number(maxRss) / 1024).toFixed(0)} MiB`);
await cuebot.reportRunningFrameCompletion({ frameCompleteReport: { host: await monitor.readRenderHost(), frame: { ...ids, numCores: 100, startTime, maxRss }, exitStatus: code ?? 1, exitSignal: 0, runTime } });
await new Promise((r) => setTimeout(r, 300));

console.log(`\n${bold("summary")}`);
console.log(`  reports received by dummy-cuebot: ${(serverOut.match(/Received a report_/g) ?? []).length} (server output above)`);
console.log(`  frame log: ${logPath}${signal ? ` (killed by ${signal})` : ""}`);
console.log("  next: `npm test` runs the whole suite");
await cleanup(code === 0 ? 0 : 1);
