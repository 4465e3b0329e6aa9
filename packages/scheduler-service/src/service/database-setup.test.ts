// openDatabase on a given PostgreSQL URL: the pool the passes use, and the one connection the batch
// booking statement runs on, planned once with a generic plan.
import { sql } from "kysely";
import { createTestDatabase, type TestDatabase } from "@opencue-ts/cuebot-db";
import { captureLogs, testConfig } from "../test-support/harness.js";
import { openDatabase } from "./database-setup.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

test("a configured database opens a pool and a booking connection with a generic plan cache", async () => {
  const { logger, lines } = captureLogs();
  const opened = await openDatabase(testConfig({ database: { url: t.connectionString, pool_size: 4 } }), logger);
  try {
    const setting = (db: typeof opened.db) =>
      sql<{ mode: string; app: string }>`SELECT current_setting('plan_cache_mode') AS mode, current_setting('application_name') AS app`.execute(db).then((r) => r.rows[0]);
    expect(await setting(opened.db)).toEqual({ mode: "auto", app: "cue-scheduler" });
    expect(await setting(opened.bookingDb)).toEqual({ mode: "force_generic_plan", app: "cue-scheduler-booking" });
    expect(opened.embedded).toBeNull();
    expect(lines().some((l) => l.message === "database schema is compatible")).toBe(true);
  } finally {
    await opened.close();
  }
});
