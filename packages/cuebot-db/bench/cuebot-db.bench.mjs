// Benchmark: embedded PostgreSQL start-up, migrations, and bulk creation of a 100 000-frame job.
// Run after a build: node bench/cuebot-db.bench.mjs  (prints a markdown table; bounded, stops itself)
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { checkSchema, createCuebotDb, createFarm, createTestDatabase, migrateCuebotDb, startEmbeddedPostgres, startTestServer, stopTestServer } from "../dist/index.js";

const FRAMES = Number(process.env.BENCH_FRAMES ?? 100_000);
const rows = [];
const time = async (label, work, note = "") => {
  const t0 = performance.now();
  const result = await work();
  rows.push([label, ((performance.now() - t0) / 1000).toFixed(3), note]);
  return result;
};

const fuse = setTimeout(() => {
  console.error("benchmark exceeded 55 s, aborting");
  process.exit(2);
}, 55_000);

const dataDir = await mkdtemp(join(tmpdir(), "cuebot-db-bench-"));
const server = await time("embedded PostgreSQL: initdb + start + create database", () => startEmbeddedPostgres({ dataDir, persistent: false }), "fresh data dir, fsync off");
const db = createCuebotDb(server.connectionString);
try {
  const applied = await time("migrations (empty database)", () => migrateCuebotDb(db));
  await time("migrations again (no-op)", () => migrateCuebotDb(db), `${applied.applied.length} applied first time`);
  await time("checkSchema", () => checkSchema(db));
  const farm = createFarm(db);
  const facility = await farm.createFacility("bench");
  const show = await farm.createShow({ name: "bench" });
  const alloc = await farm.createAlloc({ facility, name: "bench.general" });
  await farm.createSubscription({ show, alloc, size: 1000, burst: 2000 });
  await time("register 1 000 hosts", () => farm.registerHosts(Array.from({ length: 1000 }, (_, i) => ({ name: `bench-host-${i}`, alloc, cores: 16, memoryKb: 64 * 1024 * 1024, tags: ["general"] }))));
  await time(`submit job: 1 layer x ${FRAMES} frames`, () => farm.submitJob({ show, facility, name: "bench-flat", layers: [{ name: "render", range: `1-${FRAMES}` }] }), "all WAITING");
  const half = Math.floor(FRAMES / 2);
  await time(`submit job: 2 layers x ${half} frames, frame-by-frame`, () => farm.submitJob({
    show, facility, name: "bench-fbf",
    layers: [{ name: "sim", range: `1-${half}` }, { name: "comp", range: `1-${half}` }],
    dependencies: [{ type: "FRAME_BY_FRAME", layer: "comp", onLayer: "sim" }],
  }), `${half} FRAME_ON_FRAME depends, ${half} DEPEND frames`);
  const { count } = await db.selectFrom("frame").select((eb) => eb.fn.countAll().as("count")).executeTakeFirstOrThrow();
  rows.push(["frames in database", String(count), ""]);
} finally {
  await db.destroy();
  await time("stop (fast shutdown, remove data dir)", () => server.stop());
  clearTimeout(fuse);
}

// Test support: a server started from the cached, pre-migrated cluster, and per-test databases.
await startTestServer().then((s) => s.stop()); // make sure the cluster cache exists
const testServer = await time("test server: copy cached cluster + start", () => startTestServer(), "what a test file or globalSetup pays");
await testServer.stop();
await time("createTestDatabase (first: lazy server start)", () => createTestDatabase().then((t) => t.destroy()));
await time("createTestDatabase + destroy", () => createTestDatabase().then((t) => t.destroy()), "CREATE DATABASE ... TEMPLATE, DROP");
await stopTestServer();

console.log(`| step | seconds | note |\n|---|---:|---|\n${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}`);
