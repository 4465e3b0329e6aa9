// Frame runner latencies and throughput with real processes (run after building: npx tsc -b packages/frame-runner/tsconfig.lib.json).
//  - launch: launch() called -> resolved (log, header, spawn, cgroup, record); first stats: -> first tree sample
//  - spawn-to-exec: launch() called -> the frame's command is running (it prints its own clock)
//  - exit-to-report: the command's last instant -> `exited` resolved (drain, leftovers check, footer, cleanup)
//  - throughput: trivial frames, several at a time, launch to report.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createFrameRunner } from "../dist/index.js";

const clock = () => performance.timeOrigin + performance.now();
const base = mkdtempSync(join(tmpdir(), "frame-runner-bench-"));
const deadline = Date.now() + 50_000;
const spec = (command) => ({
  resourceId: randomUUID(), jobId: randomUUID(), jobName: "bench-job", layerId: randomUUID(), frameId: randomUUID(), frameName: `f-${randomUUID().slice(0, 8)}`,
  show: "bench", shot: "s", command, userName: "bench", uid: null, gid: 0, environment: { CUE_THREADS: "1" }, logDir: join(base, "logs"),
  numCores: 100, reservedCpuIds: [], hyperthreading: false, gpuIds: [], softMemoryLimitKb: 0, hardMemoryLimitKb: 0, frameTempDir: "", startTime: Date.now(),
});
const firstSample = new Map();
const runner = createFrameRunner({
  hostName: "bench", stateDir: join(base, "state"), runAsUser: false, defaultUid: process.getuid(), allowRootFrames: true, prependTimestamp: false,
  onEvent: (e) => {
    if (e.type === "sample" && !firstSample.has(e.frameId)) firstSample.set(e.frameId, clock());
  },
});
const stamps = (log) => [...log.matchAll(/^T(\d{19})$/gm)].map((m) => Number(BigInt(m[1]) / 1000n) / 1000);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const row = (name, xs) => `| ${name} | ${xs.length} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 99).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;

// 1. 50 short frames, one at a time.
const launch = [], first = [], toExec = [], toReport = [];
let cgroupUsed = false;
for (let i = 0; i < 50 && Date.now() < deadline; i++) {
  const t0 = clock();
  const frame = await runner.launch(spec("echo T$(date +%s%N); sleep 0.05; echo T$(date +%s%N)"));
  const t1 = clock();
  cgroupUsed ||= frame.cgroupDir !== null;
  await frame.exited;
  const t2 = clock();
  const [execAt, lastAt] = stamps(readFileSync(frame.logPath, "utf8"));
  launch.push(t1 - t0);
  if (firstSample.has(frame.spec.frameId)) first.push(firstSample.get(frame.spec.frameId) - t0);
  toExec.push(execAt - t0);
  toReport.push(t2 - lastAt);
}

// 2. 500 trivial frames, 4 at a time (this machine has 2 cores).
const total = 500;
let started = 0, done = 0;
const execLatency = [];
const t0 = clock();
await Promise.all(Array.from({ length: 4 }, async () => {
  while (started < total && Date.now() < deadline) {
    started++;
    const s = clock();
    const frame = await runner.launch(spec("echo T$(date +%s%N)"));
    await frame.exited;
    const [execAt] = stamps(readFileSync(frame.logPath, "utf8"));
    execLatency.push(execAt - s);
    done++;
  }
}));
const seconds = (clock() - t0) / 1000;

console.log(`Frame runner, real processes (${process.platform}, node ${process.version}, per-frame cgroup: ${cgroupUsed ? "yes" : "no"}, monitor 1000 ms, ${availableParallelism()} cpus)\n`);
console.log("| measure (ms) | n | p50 | p99 | max |");
console.log("|---|---|---|---|---|");
console.log(row("launch() resolved", launch));
console.log(row("spawn to first stats", first));
console.log(row("spawn to exec (sequential)", toExec));
console.log(row("exit to report", toReport));
console.log(row(`spawn to exec (${done} frames, 4 at a time)`, execLatency));
console.log(`\n| throughput | frames | seconds | frames/s |\n|---|---|---|---|\n| trivial frames, 4 at a time | ${done} | ${seconds.toFixed(1)} | ${(done / seconds).toFixed(1)} |`);
rmSync(base, { recursive: true, force: true });
