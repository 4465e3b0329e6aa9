import { sql } from "kysely";
import { createTestDatabase, stopTestServer } from "./test-database.js";

afterAll(() => stopTestServer());

describe("createTestDatabase", () => {
  test("gives each caller its own migrated database and drops it on destroy", async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    try {
      expect(a.database).not.toBe(b.database);
      await a.db.insertInto("facility").values({ pk_facility: "f1", str_name: "only-in-a" }).execute();
      expect(await a.db.selectFrom("facility").select("str_name").execute()).toEqual([{ str_name: "only-in-a" }]);
      expect(await b.db.selectFrom("facility").select("str_name").execute()).toEqual([]);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kysely_migration`.execute(a.db);
      expect(rows[0]!.n).toBe(4);
      await a.destroy();
      const left = await sql<{ datname: string }>`SELECT datname FROM pg_database WHERE datname = ${a.database}`.execute(b.db);
      expect(left.rows).toEqual([]);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });
});
