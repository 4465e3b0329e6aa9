// Benchmark: process-tree sampling and a full host sample on this machine's real /proc.
// Spawns real process trees (sh + sleep), times the public API, prints a markdown table, and kills
// every process it started. Bounded: gives up after 45 s of setup.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { createHostMonitor, createHostPlatform, readProcessTree, readProcessTrees } from "../dist/index.js";

const roots = [];
function killAll() {
  for (const child of roots) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
process.on("exit", killAll);
process.on("SIGINT", () => process.exit(130));

const deadline = Date.now() + 45_000;
/** A detached `sh` (its own session, like a frame) with `children` sleeping children: children + 1 processes. */
function spawnFrame(children) {
  const child = spawn("sh", ["-c", `for i in $(seq ${children}); do sleep 120 & done; wait`], { detached: true, stdio: "ignore" });
  roots.push(child);
  return child.pid;
}
async function waitForSizes(pids, size) {
  for (;;) {
    const trees = await readProcessTrees(pids.map((rootPid) => ({ rootPid })), { pss: false });
    if (pids.every((p) => trees.get(p)?.processes.length === size)) return;
    if (Date.now() > deadline) throw new Error("setup timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function time(label, processes, iterations, fn) {
  await fn(); // warm caches (cmdline cache, JIT)
  const ms = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  const pct = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  return { label, processes, iterations, mean, p50: pct(0.5), p95: pct(0.95) };
}

const rows = [];
let procsOnHost = 0;
try {
  const one = spawnFrame(49);
  await waitForSizes([one], 50);
  rows.push(await time("readProcessTree, 1 frame (PSS on)", 50, 50, () => readProcessTree(one)));
  rows.push(await time("readProcessTree, 1 frame (pss: false)", 50, 50, () => readProcessTree(one, { pss: false })));
  rows.push(await time("readProcessTree, 1 frame (pss: false, swap: false)", 50, 50, () => readProcessTree(one, { pss: false, swap: false })));

  const frames = Array.from({ length: 200 }, () => spawnFrame(9));
  await waitForSizes(frames, 10);
  const requests = frames.map((rootPid) => ({ rootPid }));
  rows.push(await time("readProcessTrees, 200 frames x 10 (PSS on)", 2000, 10, () => readProcessTrees(requests)));
  rows.push(await time("readProcessTrees, 200 frames x 10 (pss: false)", 2000, 10, () => readProcessTrees(requests, { pss: false })));
  rows.push(await time("readProcessTrees, 200 frames x 10 (pss: false, swap: false)", 2000, 10, () => readProcessTrees(requests, { pss: false, swap: false })));
  procsOnHost = (await readProcessTree(1, { pss: false, swap: false }))?.processes.length ?? 0;

  const monitor = createHostMonitor({ platform: createHostPlatform({}) });
  rows.push(await time("createHostMonitor().readRenderHost() (full host sample)", 0, 50, () => monitor.readRenderHost()));
  rows.push(await time("readHostFacts() + 200-frame tree snapshot", 2000, 10, () => Promise.all([monitor.readHostFacts(), readProcessTrees(requests)])));
} finally {
  killAll();
}

console.log(`\n### @opencue-ts/host-monitor (node ${process.version}, ${process.platform}/${process.arch}, ${procsOnHost} processes on the host during the 2000-process cases)\n`);
console.log("| case | processes sampled | iterations | mean ms | p50 ms | p95 ms |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.label} | ${r.processes} | ${r.iterations} | ${r.mean.toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} |`);
