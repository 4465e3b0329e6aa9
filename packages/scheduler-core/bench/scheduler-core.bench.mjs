// plan() decisions per second at 1,000 / 10,000 / 100,000 hosts with 100,000 waiting frames, and
// memory per indexed host. Run with `npm run bench -- scheduler-core` (or SIZES=1000,10000 node --expose-gc bench/...).
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createHostIndex, plan } from "../dist/index.js";

const GiB = 1024 * 1024;
const sizes = (process.env.SIZES ?? "1000,10000,100000").split(",").map(Number).filter((n) => n > 0); // SIZES=0: memory only
const FRAMES = 100_000;

function farm(hosts) {
  const allocations = [0, 1, 2].map((i) => ({ id: `a${i}`, name: `a${i}`, facilityId: "f", tag: `a${i}` }));
  const h = [];
  for (let i = 0; i < hosts; i++) {
    const cores = [16, 32, 64][i % 3];
    h.push({ id: `h${i}`, name: `h${i}`, allocId: `a${i % 3}`, facilityId: "f", os: "linux", tags: [`a${i % 3}`, `t${i % 8}`], totalCores: cores * 100, idleCores: cores * 100, totalMemoryKb: cores * 4 * GiB, idleMemoryKb: cores * 4 * GiB, totalGpus: 0, idleGpus: 0, totalGpuMemoryKb: 0, idleGpuMemoryKb: 0, threadMode: "AUTO", lockState: "OPEN", state: "UP" });
  }
  const shows = [0, 1, 2, 3].map((i) => ({ id: `s${i}`, name: `s${i}` }));
  const subscriptions = shows.flatMap((s) => allocations.map((a) => ({ id: `${s.id}-${a.id}`, showId: s.id, allocId: a.id, size: hosts * 800, burst: hosts * 10_000, bookedCores: 0 })));
  const folders = shows.map((s) => ({ id: `f-${s.id}`, showId: s.id, maxCores: -1, minCores: 0, maxGpus: -1, minGpus: 0, bookedCores: 0, bookedGpus: 0 }));
  const jobs = [], layers = [], frames = [];
  const perLayer = 20;
  for (let l = 0; l < FRAMES / perLayer; l++) {
    if (l % 5 === 0) jobs.push({ id: `j${l / 5}`, showId: `s${(l / 5) % 4}`, folderId: `f-s${(l / 5) % 4}`, facilityId: "f", os: null, priority: l % 7, maxCores: -1, minCores: 0, maxGpus: -1, minGpus: 0, bookedCores: 0, bookedGpus: 0, state: "PENDING", paused: false, submittedAtMs: l });
    const id = `l${l}`;
    layers.push({ id, jobId: `j${Math.floor(l / 5)}`, dispatchOrder: l % 5, minCores: 100 * [1, 1, 2, 4][l % 4], maxCores: 0, minMemoryKb: 2 * GiB, minGpus: 0, minGpuMemoryKb: 0, tags: [`a${l % 3}`, `t${l % 8}`], services: [], threadable: l % 2 === 0, limitIds: [] });
    for (let k = 0; k < perLayer; k++) frames.push({ id: `${id}/${k}`, layerId: id, number: k, dispatchOrder: k });
  }
  return { hosts: h, allocations, shows, subscriptions, folders, jobs, layers, frames, limits: [] };
}

function timedRuns() {
  console.log("| hosts | waiting frames | placement | bookings | plan ms | decisions/s |");
  console.log("|---|---|---|---|---|---|");
  for (const n of sizes) {
    const s = farm(n);
    for (const placement of ["first-fit", "scored"]) {
      const o = { placement, maxCandidates: 50, reservations: true, dispatchFramesPerLayerLimit: 20, hostCandidateAttemptsPerLayer: 10 };
      plan(s, o, 1000); // warm-up
      const t0 = performance.now();
      const r = plan(s, o, 1000);
      const ms = performance.now() - t0;
      console.log(`| ${n} | ${FRAMES} | ${placement} | ${r.bookings.length} | ${ms.toFixed(0)} | ${Math.round((r.bookings.length / ms) * 1000)} |`);
    }
  }
}

// Memory per host: heap after the host records alone, then after indexing them, each read after
// repeated full GCs (needs --expose-gc, as scripts/run-bench.mjs passes). 100,000 hosts keep the
// per-host figure well above GC noise; `records` and `idx` stay referenced past the readings.
function memoryPerHost() {
  const n = 100_000;
  if (typeof globalThis.gc !== "function") return console.log("\nmemory per host: not measured (run with node --expose-gc)");
  const gcHard = () => { for (let i = 0; i < 6; i++) globalThis.gc(); };
  gcHard();
  const base = process.memoryUsage().heapUsed;
  const records = farm(n).hosts;
  gcHard();
  const withRecords = process.memoryUsage().heapUsed;
  const idx = createHostIndex();
  for (const h of records) idx.upsert(h, 1);
  gcHard();
  const withIndex = process.memoryUsage().heapUsed;
  if (idx.size !== records.length) throw new Error("index lost hosts");
  const perHost = (bytes) => Math.round(bytes / n);
  console.log(`\nmemory per host (${n.toLocaleString("en-US")} hosts, heapUsed after gc): index only ${perHost(withIndex - withRecords)} B, host records + index ${perHost(withIndex - base)} B (records alone ${perHost(withRecords - base)} B)`);
}

// The memory reading runs in a fresh process: after the timed runs' large heaps V8 keeps giving
// memory back over later GCs, and the difference of two readings came out negative.
if (process.env.BENCH_MEMORY_CHILD === "1") {
  memoryPerHost();
} else {
  timedRuns();
  const child = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_MEMORY_CHILD: "1" }, stdio: "inherit" });
  if (child.status !== 0) process.exit(child.status ?? 1);
}
