import { sql, type Kysely } from "kysely";
import { createCuebotDb } from "../connection.js";
import { cuebotColumns } from "../schema/columns.js";
import { assertSchema, checkSchema, CuebotSchemaError, describeSchemaProblems } from "../schema/check-schema.js";
import type { Database } from "../schema/tables.js";
import { createDatabaseFromTemplate, startTestServer, type TestServer } from "../testing/test-server.js";
import { cuebotMigrations, migrateCuebotDb } from "./migrations.js";
import { cuebotTriggers } from "./triggers.js";

let server: TestServer;
const open: Kysely<Database>[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(open.map((db) => db.destroy()));
  await server.stop();
});

async function database(template: string): Promise<Kysely<Database>> {
  const { connectionString } = await createDatabaseFromTemplate(server.adminUrl, template);
  const db = createCuebotDb(connectionString);
  open.push(db);
  return db;
}

// information_schema spells defaults with casts ('-1'::integer, 'UP'::character varying).
function normalizeDefault(value: string | null): string | undefined {
  if (value === null || value.startsWith("NULL::")) return undefined;
  const quotedInt = /^'(-?\d+)'::integer$/.exec(value);
  if (quotedInt) return quotedInt[1];
  const text = /^('.*')::character varying$/.exec(value);
  if (text) return text[1];
  return value === "CURRENT_TIMESTAMP" ? "current_timestamp" : value;
}

describe("migrations", () => {
  test("apply to an empty database, then a second run is a no-op", async () => {
    const db = await database("template1");
    expect(await checkSchema(db)).toMatchObject({ ok: false });
    expect((await migrateCuebotDb(db)).applied).toEqual(Object.keys(cuebotMigrations));
    expect((await migrateCuebotDb(db)).applied).toEqual([]);
    expect(await checkSchema(db)).toEqual({ ok: true, missingTables: [], missingColumns: [], typeMismatches: [] });
  });

  test("every statement can be re-run on a migrated database without error or change", async () => {
    const db = await database(server.templateDatabase);
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'public'`.execute(db);
    for (const migration of Object.values(cuebotMigrations)) await migration.up(db as unknown as Kysely<unknown>);
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'public'`.execute(db);
    expect(after.rows).toEqual(before.rows);
  });

  test("columns have exactly the declared types, nullability and defaults", async () => {
    const db = await database(server.templateDatabase);
    const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: string; column_default: string | null }>`
      SELECT table_name, column_name, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = ANY(${Object.keys(cuebotColumns)})`.execute(db);
    const actual: Record<string, Record<string, { nullable: boolean; default?: string }>> = {};
    for (const r of rows) {
      const d = normalizeDefault(r.column_default);
      (actual[r.table_name] ??= {})[r.column_name] = { nullable: r.is_nullable === "YES", ...(d === undefined ? {} : { default: d }) };
    }
    const expected: Record<string, Record<string, { nullable: boolean; default?: string }>> = {};
    for (const [table, columns] of Object.entries(cuebotColumns)) {
      for (const [column, spec] of Object.entries(columns) as [string, { nullable: boolean; default?: string }][]) {
        (expected[table] ??= {})[column] = { nullable: spec.nullable, ...(spec.default === undefined ? {} : { default: spec.default }) };
      }
    }
    expect(actual).toEqual(expected);
    expect((await checkSchema(db)).typeMismatches).toEqual([]);
  });

  test("triggers carry Cuebot's names", async () => {
    const db = await database(server.templateDatabase);
    const { rows } = await sql<{ trigger_name: string }>`SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE trigger_schema = 'public'`.execute(db);
    expect(rows.map((r) => r.trigger_name).sort()).toEqual(cuebotTriggers.map((t) => t.name).sort());
  });
});

describe("checkSchema", () => {
  test("names exactly the missing tables and columns and the wrong types", async () => {
    const db = await database(server.templateDatabase);
    await sql`ALTER TABLE host_stat DROP COLUMN int_mem_free`.execute(db);
    await sql`DROP TABLE layer_limit`.execute(db);
    await sql`ALTER TABLE frame ALTER COLUMN str_host TYPE varchar(64)`.execute(db);
    const result = await checkSchema(db);
    expect(result).toEqual({
      ok: false,
      missingTables: ["layer_limit"],
      missingColumns: [{ table: "host_stat", column: "int_mem_free" }],
      typeMismatches: [{ table: "frame", column: "str_host", expected: "varchar(256)", actual: "varchar(64)" }],
    });
    expect(describeSchemaProblems(result)).toBe(
      "missing table layer_limit\nmissing column host_stat.int_mem_free\ncolumn frame.str_host is varchar(64), expected varchar(256)",
    );
    await expect(assertSchema(db)).rejects.toThrow(CuebotSchemaError);
    await expect(assertSchema(db)).rejects.toThrow(/missing column host_stat\.int_mem_free/);
    expect(await checkSchema(db, { tables: ["host", "job"] })).toMatchObject({ ok: true });
  });

  test("reports the vs_waiting view when it is missing", async () => {
    const db = await database(server.templateDatabase);
    await sql`DROP VIEW vs_waiting`.execute(db);
    expect((await checkSchema(db)).missingTables).toEqual(["vs_waiting"]);
  });
});
