// The upstream stress farms (reference §6.2): drain (1 200 hosts, 6 000 frames) and saturation
// (400 hosts, 3 000 frames, subscriptions pinned at 150 cores each), drawn from a seeded RNG so every
// run books the same farm. Seeded through cuebot-db's farm model (multi-row host inserts, one
// transaction per job), which writes job_stat/layer_stat/job_resource/layer_resource/folder_resource/
// host_stat as Cuebot has them.
import { createFarm, gibToKb } from "@opencue-ts/cuebot-db";

export const SEED = 0x0c0ffee;

/** mulberry32: small, fast, deterministic. */
export function createRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

const range = (n) => Array.from({ length: n }, (_, i) => i);

/** Shapes of §6.2; `scale` < 1 shrinks hosts and jobs (the --quick development run). */
export function stressShapes(scale = 1) {
  const s = (n) => Math.max(1, Math.round(n * scale));
  return {
    drain: {
      name: "drain", prefix: "stress_d", hosts: s(1200), hostCores: range(15).map((i) => 16 + 8 * i), hostMemGb: [32, 256],
      allocs: 3, burst: 90_000, manualTags: 8, jobs: s(300), layers: 4, framesPerLayer: 5, layerCores: [1, 2, 4, 8], layerMemGb: [2, 8], jobMaxCores: 100_000,
    },
    saturation: {
      name: "saturation", prefix: "stress_s", hosts: s(400), hostCores: [8, 16, 32], hostMemGb: [32, 64],
      allocs: 3, burst: 150, manualTags: 4, jobs: s(150), layers: 2, framesPerLayer: 10, layerCores: [2, 4], layerMemGb: [2, 4], jobMaxCores: 20,
    },
  };
}

/** Seeds one shape into `db` (an empty, migrated Cuebot database). Returns what was created. */
export async function seedStressFarm(db, shape, seed = SEED) {
  const rng = createRng(seed);
  const farm = createFarm(db);
  const facility = await farm.createFacility(`${shape.prefix}_fac`);
  const show = await farm.createShow({ name: `${shape.prefix}_show`, schedulerManaged: true });
  const allocs = [];
  for (const i of range(shape.allocs)) {
    const name = `${shape.prefix}_a${i}`;
    const alloc = await farm.createAlloc({ facility, name, tag: name });
    await farm.createSubscription({ show, alloc, size: shape.burst, burst: shape.burst });
    allocs.push(alloc);
  }
  const manual = range(shape.manualTags).map((i) => `${shape.prefix}_t${i}`);
  const gb = (lo, hi) => Math.round(gibToKb(lo) + rng.next() * (gibToKb(hi) - gibToKb(lo)));
  const hosts = range(shape.hosts).map((i) => {
    // Host i < #tags carries manual tag i (every tag on some host); the others 0–2 random ones.
    const tags = new Set(i < manual.length ? [manual[i]] : []);
    if (i >= manual.length) for (let k = rng.int(0, 2); k > 0; k--) tags.add(rng.pick(manual));
    return { name: `${shape.prefix}_h${i}`, alloc: allocs[i % allocs.length], cores: rng.pick(shape.hostCores), memoryKb: gb(...shape.hostMemGb), tags: [...tags], threadMode: 0 };
  });
  await farm.registerHosts(hosts);
  const tagPool = [...manual, ...allocs.map((a) => a.tag)];
  let frames = 0;
  for (const j of range(shape.jobs)) {
    const layers = range(shape.layers).map((l) => {
      const tags = new Set();
      for (let k = rng.int(1, 3); k > 0; k--) tags.add(rng.pick(tagPool));
      return { name: `l${l}`, range: `1-${shape.framesPerLayer}`, minCores: rng.pick(shape.layerCores), minMemoryKb: gb(...shape.layerMemGb), tags: [...tags], threadable: false };
    });
    const job = await farm.submitJob({ show, facility, name: `${shape.prefix}_j${j}`, os: "linux", priority: rng.int(1, 200), maxCores: shape.jobMaxCores, layers });
    frames += job.frameCount;
  }
  return { frames, hosts: hosts.length, cores: hosts.reduce((n, h) => n + h.cores, 0), burstCores: shape.allocs * shape.burst, manualTags: manual.length };
}
