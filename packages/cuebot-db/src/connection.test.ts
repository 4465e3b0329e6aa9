import { sql } from "kysely";
import { connectionTarget, createCuebotDb, CuebotDbConnectionError, preparedStatement, redactPassword } from "./connection.js";
import { findFreePort } from "./embedded/free-port.js";
import { createTestDatabase, stopTestServer } from "./testing/test-database.js";

afterAll(() => stopTestServer());

const SECRET = "s3cr3t-p@ss";

describe("connection errors", () => {
  test("a refused connection names host, port and database but not the password", async () => {
    const port = await findFreePort();
    for (const config of [
      { host: "127.0.0.1", port, user: "cuebot", password: SECRET, database: "cuebot_farm" },
      `postgres://cuebot:${encodeURIComponent(SECRET)}@127.0.0.1:${port}/cuebot_farm`,
    ]) {
      const db = createCuebotDb(config);
      try {
        const error: unknown = await sql`SELECT 1`.execute(db).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(CuebotDbConnectionError);
        const message = (error as Error).message;
        expect(message).toContain(`127.0.0.1:${port}`);
        expect(message).toContain(`database "cuebot_farm"`);
        expect(message).toContain("ECONNREFUSED");
        expect(message).not.toContain(SECRET);
        expect(message).not.toContain(encodeURIComponent(SECRET));
        expect((error as CuebotDbConnectionError).target).toEqual({ host: "127.0.0.1", port, database: "cuebot_farm", user: "cuebot" });
      } finally {
        await db.destroy();
      }
    }
  });

  test("a wrong password is reported without the password; a good connection runs in UTC with numeric bigints", async () => {
    const testDb = await createTestDatabase();
    try {
      const url = new URL(testDb.connectionString);
      url.password = encodeURIComponent(SECRET);
      const wrong = createCuebotDb(url.toString());
      try {
        const error = await sql`SELECT 1`.execute(wrong).then(() => undefined, (e: unknown) => e as Error);
        expect(error).toBeInstanceOf(CuebotDbConnectionError);
        expect(error!.message).toMatch(/password authentication failed/);
        expect(error!.message).toContain(`database "${testDb.database}"`);
        expect(error!.message).not.toContain(SECRET);
      } finally {
        await wrong.destroy();
      }
      const { rows } = await sql<{ tz: string; big: number; num: number; n: number }>`
        SELECT current_setting('TimeZone') AS tz, 9007199254740991::bigint AS big, 2.50::numeric(16,2) AS num, count(*) AS n FROM show`.execute(testDb.db);
      expect(rows).toEqual([{ tz: "UTC", big: 9007199254740991, num: 2.5, n: 0 }]);
    } finally {
      await testDb.destroy();
    }
  });
});

describe("connection helpers", () => {
  test("connectionTarget reads URLs and objects, with pg's defaults", () => {
    expect(connectionTarget("postgres://u:p@db.example:6543/cue")).toEqual({ host: "db.example", port: 6543, database: "cue", user: "u" });
    expect(connectionTarget({ connectionString: "postgres://u:p@db.example/cue", port: 7000 })).toEqual({ host: "db.example", port: 7000, database: "cue", user: "u" });
    expect(connectionTarget({ user: "cuebot" })).toEqual({ host: "localhost", port: 5432, database: "cuebot", user: "cuebot" });
  });
  test("redactPassword replaces plain and URL-encoded forms", () => {
    expect(redactPassword(`x ${SECRET} y ${encodeURIComponent(SECRET)}`, SECRET)).toBe("x *** y ***");
    expect(redactPassword("nothing here", undefined)).toBe("nothing here");
  });
});

describe("session settings", () => {
  test("settings reach every connection with the startup options; names and values are checked", async () => {
    const testDb = await createTestDatabase();
    const db = createCuebotDb({ connectionString: testDb.connectionString, max: 2, settings: { plan_cache_mode: "force_generic_plan", work_mem: "8MB" } });
    try {
      const { rows } = await sql<{ mode: string; mem: string; tz: string }>`
        SELECT current_setting('plan_cache_mode') AS mode, current_setting('work_mem') AS mem, current_setting('TimeZone') AS tz`.execute(db);
      expect(rows).toEqual([{ mode: "force_generic_plan", mem: "8MB", tz: "UTC" }]);
    } finally {
      await db.destroy();
      await testDb.destroy();
    }
    expect(() => createCuebotDb({ connectionString: testDb.connectionString, settings: { "work_mem -c x": "1" } })).toThrow(/invalid PostgreSQL setting name/);
    expect(() => createCuebotDb({ connectionString: testDb.connectionString, settings: { work_mem: "1 -c fsync=off" } })).toThrow(/invalid value "1 -c fsync=off" for PostgreSQL setting work_mem/);
  });
});

describe("named prepared statements", () => {
  test("a statement starting with preparedStatement(name) is prepared once per connection and reused", async () => {
    const testDb = await createTestDatabase();
    const db = createCuebotDb({ connectionString: testDb.connectionString, max: 1 });
    try {
      const marked = (n: number) => sql<{ v: number; names: string[] }>`${sql.raw(preparedStatement("cue_test_stmt"))}
        SELECT ${n}::int + 1 AS v, ARRAY(SELECT name FROM pg_prepared_statements ORDER BY name) AS names`.execute(db);
      const first = await marked(1);
      expect(first.rows[0]).toEqual({ v: 2, names: ["cue_test_stmt"] });
      const second = await marked(41);
      expect(second.rows[0]!.v).toBe(42);
      const stats = await sql<{ name: string; generic_plans: number; custom_plans: number }>`
        SELECT name, generic_plans, custom_plans FROM pg_prepared_statements`.execute(db);
      expect(stats.rows).toHaveLength(1);
      expect(stats.rows[0]!.generic_plans + stats.rows[0]!.custom_plans).toBe(2);
      // Unmarked statements stay unnamed.
      await sql`SELECT 1`.execute(db);
      expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`.execute(db)).rows[0]!.n).toBe(1);
      expect(() => preparedStatement("bad name")).toThrow(/letters, digits or _/);
    } finally {
      await db.destroy();
      await testDb.destroy();
    }
  });
});
