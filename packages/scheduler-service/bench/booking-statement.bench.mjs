// Benchmark: the batch booking statement alone (db/batch-booking.ts), without the service around it,
// on the drain farm (reference §6.2) in embedded PostgreSQL: how many frames per second one statement
// per N frames books on 1 and 2 connections. Every frame is WAITING and every host has room, so each
// statement books all its frames; the farm is re-copied from a template for every row. This is the
// ceiling the service's booking runs under on this machine (Cuebot's per-frame triggers included).
// Rows marked "queue" hand all the frames to the service's booking queue at once (dispatch/
// booking-queue.ts: statements split by job and host, side by side) instead of fixed batches.
// Usage: node --expose-gc bench/booking-statement.bench.mjs (after a build); BENCH_QUICK=1 for less.
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import { createCuebotDb, createDatabaseFromTemplate, createTemplateDatabase, dropDatabase, startEmbeddedPostgres } from "@opencue-ts/cuebot-db";
import { bookFrames } from "../dist/db/batch-booking.js";
import { createBookingQueue } from "../dist/dispatch/booking-queue.js";
import { seedStressFarm, stressShapes } from "./stress-farm.mjs";

const quick = process.env.BENCH_QUICK === "1" || process.argv.includes("--quick");
const FRAMES = quick ? 1200 : 3072;
const rows = [[1, 1], [32, 1], [128, 1], [256, 1], [512, 1], [256, 2], [256, 2, "queue"], [512, 2, "queue"]];

const server = await startEmbeddedPostgres({ dataDir: await mkdtemp(join(tmpdir(), "cue-book-bench-pg-")), persistent: false });
const adminUrl = server.connectionString.replace(/\/[^/]*$/, "/postgres");
const results = [];
try {
  await createTemplateDatabase(adminUrl, "bench_book");
  const seedDb = createCuebotDb({ connectionString: adminUrl.replace(/\/postgres$/, "/bench_book"), max: 2 });
  await seedStressFarm(seedDb, stressShapes(1).drain).then(() => sql`ANALYZE`.execute(seedDb)).finally(() => seedDb.destroy());
  for (const [n, conns, how = "batches"] of rows) {
    const { database, connectionString } = await createDatabaseFromTemplate(adminUrl, "bench_book");
    // As the service runs it: a generic plan, planned once per connection (see database-setup.ts).
    const db = createCuebotDb({ connectionString, max: conns, settings: { plan_cache_mode: "force_generic_plan" } });
    try {
      const frames = (await sql`
        SELECT f.pk_frame, f.int_version, f.pk_layer, j.pk_job, j.pk_show, j.pk_folder, j.pk_dept
          FROM frame f JOIN job j ON j.pk_job = f.pk_job WHERE f.str_state = 'WAITING' ORDER BY md5(f.pk_frame) LIMIT ${FRAMES}`.execute(db)).rows;
      const hosts = (await sql`SELECT pk_host, str_name, pk_alloc FROM host ORDER BY md5(pk_host)`.execute(db)).rows;
      // Four 1-core frames per host, hosts in turn: every booking fits.
      const bookings = frames.map((f, i) => {
        const h = hosts[Math.floor(i / 4) % hosts.length];
        return { procId: randomUUID(), frameId: f.pk_frame, frameVersion: f.int_version ?? 0, layerId: f.pk_layer, jobId: f.pk_job, showId: f.pk_show,
          folderId: f.pk_folder, deptId: f.pk_dept, hostId: h.pk_host, hostName: h.str_name, allocId: h.pk_alloc,
          coreUnits: 100, memoryKb: 1_048_576, gpus: 0, gpuMemoryKb: 0, memUsedKb: 0, updateStat: true };
      });
      const batches = [];
      for (let i = 0; i < bookings.length; i += n) batches.push(bookings.slice(i, i + n));
      let booked = 0, refused = 0, statements = 0;
      const tally = (r) => {
        if (r.kind !== "ran") throw new Error(`batch aborted: ${r.reason}`);
        booked += r.booked.size;
        refused += r.refused.size;
      };
      const run = (list) => {
        statements++;
        return bookFrames(db, list);
      };
      const t0 = performance.now();
      if (how === "queue") {
        // Hosts' batches as passes hand them over (whole hosts, up to n frames each), all at once.
        const queue = createBookingQueue({ maxFrames: n, statements: conns, run });
        for (const r of await Promise.all(batches.map((b) => queue.book(b)))) tally(r);
      } else {
        let next = 0;
        await Promise.all(Array.from({ length: conns }, async () => {
          while (next < batches.length) tally(await run(batches[next++]));
        }));
      }
      const ms = performance.now() - t0;
      results.push({ n, conns, how, statements, booked, refused, ms, fps: (booked / ms) * 1000 });
    } finally {
      await db.destroy();
      await dropDatabase(adminUrl, database);
    }
  }
} finally {
  await server.stop();
}
console.log(`Batch booking statement alone, drain farm (1 200 hosts, 6 000 frames), ${FRAMES} frames per row, embedded PostgreSQL 17 (fsync off).\n`);
console.log("| frames per statement | connections | statements | booked | refused | ms per statement | frames/s |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
for (const r of results) console.log(`| ${r.n} | ${r.conns}${r.how === "queue" ? " (queue)" : ""} | ${r.statements} | ${r.booked} | ${r.refused} | ${(r.ms / r.statements * r.conns).toFixed(1)} | **${r.fps.toFixed(0)}** |`);
