// Start-up check: does the connected database have every table and column this package declares,
// with Cuebot's types? Works the same on a real Cuebot database and on one built by our migrations.
import { sql, type Kysely } from "kysely";
import { cuebotColumns, type CuebotTableName } from "./columns.js";

export interface MissingColumn {
  readonly table: string;
  readonly column: string;
}

export interface TypeMismatch extends MissingColumn {
  readonly expected: string;
  readonly actual: string;
}

export interface SchemaCheckResult {
  readonly ok: boolean;
  /** Declared tables (and the vs_waiting view) absent from the database. */
  readonly missingTables: readonly string[];
  /** Declared columns absent from tables that do exist. */
  readonly missingColumns: readonly MissingColumn[];
  readonly typeMismatches: readonly TypeMismatch[];
}

export interface CheckSchemaOptions {
  /** Check only these tables (default: every declared table plus vs_waiting). */
  readonly tables?: readonly CuebotTableName[];
  /** Schema to inspect (default: current_schema()). */
  readonly schema?: string;
}

interface InfoColumn {
  table_name: string;
  column_name: string;
  data_type: string;
  character_maximum_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
}

/** information_schema's description of a type, spelled the way columns.ts spells it. */
function typeName(c: InfoColumn): string {
  switch (c.data_type) {
    case "character varying":
      return c.character_maximum_length === null ? "varchar" : `varchar(${c.character_maximum_length})`;
    case "timestamp with time zone":
      return "timestamptz";
    case "timestamp without time zone":
      return "timestamp";
    case "numeric":
      return c.numeric_precision === null ? "numeric" : `numeric(${c.numeric_precision},${c.numeric_scale ?? 0})`;
    default:
      return c.data_type;
  }
}

const VIEW_COLUMNS: Readonly<Record<string, readonly string[]>> = { vs_waiting: ["pk_show"] };

export async function checkSchema<DB>(db: Kysely<DB>, options: CheckSchemaOptions = {}): Promise<SchemaCheckResult> {
  const tables: readonly string[] = options.tables ?? [...Object.keys(cuebotColumns), ...Object.keys(VIEW_COLUMNS)];
  const schema = options.schema === undefined ? sql`current_schema()` : sql`${options.schema}`;
  const { rows } = await sql<InfoColumn>`
    SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale
      FROM information_schema.columns
     WHERE table_schema = ${schema} AND table_name = ANY(${[...tables]})`.execute(db);
  const found = new Map<string, Map<string, InfoColumn>>();
  for (const row of rows) {
    let columns = found.get(row.table_name);
    if (columns === undefined) found.set(row.table_name, (columns = new Map()));
    columns.set(row.column_name, row);
  }
  const missingTables: string[] = [];
  const missingColumns: MissingColumn[] = [];
  const typeMismatches: TypeMismatch[] = [];
  for (const table of tables) {
    const actual = found.get(table);
    if (actual === undefined) {
      missingTables.push(table);
      continue;
    }
    const declared: Record<string, { readonly type: string }> | undefined = (cuebotColumns as Record<string, Record<string, { readonly type: string }>>)[table];
    const expected: [string, string | undefined][] = declared
      ? Object.entries(declared).map(([column, spec]) => [column, spec.type])
      : (VIEW_COLUMNS[table] ?? []).map((column) => [column, undefined]);
    for (const [column, type] of expected) {
      const info = actual.get(column);
      if (info === undefined) missingColumns.push({ table, column });
      else if (type !== undefined && typeName(info) !== type) typeMismatches.push({ table, column, expected: type, actual: typeName(info) });
    }
  }
  return {
    ok: missingTables.length === 0 && missingColumns.length === 0 && typeMismatches.length === 0,
    missingTables,
    missingColumns,
    typeMismatches,
  };
}

/** One line per problem, e.g. "missing column host_stat.int_mem_free". Empty when ok. */
export function describeSchemaProblems(result: SchemaCheckResult): string {
  return [
    ...result.missingTables.map((t) => `missing table ${t}`),
    ...result.missingColumns.map((c) => `missing column ${c.table}.${c.column}`),
    ...result.typeMismatches.map((m) => `column ${m.table}.${m.column} is ${m.actual}, expected ${m.expected}`),
  ].join("\n");
}

export class CuebotSchemaError extends Error {
  override readonly name = "CuebotSchemaError";
  constructor(readonly result: SchemaCheckResult) {
    super(`database schema is not a compatible Cuebot schema:\n${describeSchemaProblems(result)}`);
  }
}

/** checkSchema, throwing CuebotSchemaError that lists every problem. */
export async function assertSchema<DB>(db: Kysely<DB>, options: CheckSchemaOptions = {}): Promise<void> {
  const result = await checkSchema(db, options);
  if (!result.ok) throw new CuebotSchemaError(result);
}
