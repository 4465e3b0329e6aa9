// Cuebot's schema subset as Kysely migrations with a static, in-code provider (no files to find at
// run time, so it works the same from src, dist and a bundled app). Kysely records what ran in
// kysely_migration, so migrating an up-to-date database does nothing; the statements themselves
// are also idempotent (IF NOT EXISTS / OR REPLACE) so a half-applied run can be repeated.
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from "kysely";
import { createTableSql, cuebotIndexes, tableCreationOrder } from "./ddl.js";
import { cuebotTriggers, tierFunctions, triggerSql, vsWaitingViewSql } from "./triggers.js";

async function run(db: Kysely<unknown>, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/** The SQL of every migration, in order: the whole schema definition as data. */
export const cuebotMigrationStatements: Readonly<Record<string, readonly string[]>> = {
  "0001_cuebot_tables": tableCreationOrder.map(createTableSql),
  "0002_cuebot_indexes": cuebotIndexes,
  "0003_cuebot_triggers": [...tierFunctions, ...cuebotTriggers.flatMap(triggerSql)],
  "0004_cuebot_views": [vsWaitingViewSql],
};

export const cuebotMigrations: Readonly<Record<string, Migration>> = Object.fromEntries(
  Object.entries(cuebotMigrationStatements).map(([name, statements]) => [name, { up: (db: Kysely<unknown>) => run(db, statements) }]),
);

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...cuebotMigrations };
  }
}

/** A Kysely Migrator over this package's migrations (tables kysely_migration / kysely_migration_lock). */
export function createCuebotMigrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({ db, provider: new StaticMigrationProvider() });
}

export interface MigrateResult {
  /** Names of the migrations applied by this call (empty when the schema was already current). */
  readonly applied: readonly string[];
}

/** Applies every pending migration; throws the first failure with the migration's name. */
export async function migrateCuebotDb<DB>(db: Kysely<DB>): Promise<MigrateResult> {
  const { error, results }: MigrationResultSet = await createCuebotMigrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cuebot-db migration ${failed} failed: ${message}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
}
