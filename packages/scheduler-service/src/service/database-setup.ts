// Where the database comes from: a configured PostgreSQL (database.url or the db_* keys), checked
// against the Cuebot schema subset we use; or, with nothing configured (database.embedded: auto) or
// embedded: always, an embedded PostgreSQL in database.embedded_data_dir with our Cuebot schema.
import type { Kysely } from "kysely";
import { assertSchema, connectionTarget, createCuebotDb, CuebotSchemaError, migrateCuebotDb, redactPassword, startEmbeddedPostgres, type CuebotDbConfig, type Database, type EmbeddedPostgres } from "@opencue-ts/cuebot-db";
import type { Logger } from "@opencue-ts/service-kit";
import type { SchedulerConfig } from "../config/scheduler-config.js";
import { errorMessage, SchedulerError } from "../errors.js";
import { chooseEmbeddedDataDir, embeddedDataDirEnv, type EmbeddedDataDirEnv } from "./embedded-data-dir.js";

export interface OpenedDatabase {
  readonly db: Kysely<Database>;
  /** The batch booking statements' connections (see bookingDbConfig). */
  readonly bookingDb: Kysely<Database>;
  readonly embedded: EmbeddedPostgres | null;
  /** Where it is, without the password. */
  readonly description: string;
  close(): Promise<void>;
}

const DB_DEFAULTS = { db_host: "localhost", db_name: "test", db_user: "postgres", db_pass: "password", db_port: 5432 };

/** True when the configuration names a database (a URL, or any db_* key changed from its default). */
export function databaseConfigured(c: SchedulerConfig["database"]): boolean {
  return c.url !== null || (Object.keys(DB_DEFAULTS) as (keyof typeof DB_DEFAULTS)[]).some((k) => c[k] !== DB_DEFAULTS[k]);
}

export function externalDbConfig(c: SchedulerConfig["database"]): CuebotDbConfig {
  return c.url !== null
    ? { connectionString: c.url, max: c.pool_size, applicationName: "cue-scheduler" }
    : { host: c.db_host, port: c.db_port, user: c.db_user, password: c.db_pass, database: c.db_name, max: c.pool_size, applicationName: "cue-scheduler" };
}

/**
 * The batch booking statements (at most `statements` at once, see dispatch/booking-queue.ts) get
 * connections of their own: there they are planned once per connection, with a generic plan, instead
 * of again on each pool connection they land on (a custom plan of the large statement costs about as
 * much as booking a dozen frames).
 */
export function bookingDbConfig(c: CuebotDbConfig, statements: number): CuebotDbConfig {
  return { ...c, max: statements, applicationName: "cue-scheduler-booking", settings: { ...c.settings, plan_cache_mode: "force_generic_plan" } };
}

export interface OpenDatabaseOptions {
  readonly signal?: AbortSignal;
  /** Wait between connection attempts (default 2 s, doubling to 30 s). */
  readonly retryMs?: number;
  readonly onUnreachable?: (message: string) => void;
  /** Who we run as and what the file system looks like (tests inject it). */
  readonly dataDirEnv?: EmbeddedDataDirEnv;
}

/**
 * Opens the database. An unreachable configured database is retried until it answers (or the signal
 * aborts); a schema that lacks what we need throws SchedulerError SCHEMA_INCOMPATIBLE naming every
 * missing table and column.
 */
export async function openDatabase(cfg: SchedulerConfig, log: Logger, opts: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const c = cfg.database;
  const useEmbedded = c.embedded === "always" || (c.embedded === "auto" && !databaseConfigured(c));
  if (useEmbedded) {
    const { dataDir, note } = chooseEmbeddedDataDir(c.embedded_data_dir, opts.dataDirEnv ?? embeddedDataDirEnv());
    if (note !== null) log.warn(note);
    log.info("no database configured: starting an embedded PostgreSQL with the Cuebot schema", { dataDir, hint: "set database.url (or --database-url) to use an existing Cuebot database" });
    // The server outlives SIGTERM until our own graceful stop has finished the bookings in flight.
    const pg = await startEmbeddedPostgres({ dataDir, persistent: true, signalGraceMs: 60_000, ...(c.embedded_port > 0 ? { port: c.embedded_port } : {}) });
    const dbc: CuebotDbConfig = { connectionString: pg.connectionString, max: c.pool_size, applicationName: "cue-scheduler" };
    const db = createCuebotDb(dbc);
    const migrated = await migrateCuebotDb(db);
    log.info("embedded PostgreSQL ready", { url: redactPassword(pg.connectionString, pg.password), migrations: migrated });
    const bookingDb = createCuebotDb(bookingDbConfig(dbc, cfg.queue.booking_statements));
    return { db, bookingDb, embedded: pg, description: `embedded PostgreSQL at 127.0.0.1:${pg.port} (${dataDir})`, close: async () => { await bookingDb.destroy(); await db.destroy(); await pg.stop(); } };
  }
  const dbc = externalDbConfig(c);
  const target = connectionTarget(dbc);
  const description = `PostgreSQL at ${target.host}:${target.port}, database "${target.database}", user "${target.user}"`;
  const db = createCuebotDb(dbc);
  let wait = opts.retryMs ?? 2000;
  for (;;) {
    try {
      await assertSchema(db);
      log.info("database schema is compatible", { database: description });
      const bookingDb = createCuebotDb(bookingDbConfig(dbc, cfg.queue.booking_statements));
      return { db, bookingDb, embedded: null, description, close: async () => { await bookingDb.destroy(); await db.destroy(); } };
    } catch (e) {
      if (e instanceof CuebotSchemaError) {
        await db.destroy();
        throw new SchedulerError("SCHEMA_INCOMPATIBLE", `${description}: ${e.message}`, { cause: e });
      }
      const message = `cannot use ${description}: ${errorMessage(e)}; retrying in ${Math.round(wait / 1000)} s`;
      log.error(message, { code: "DATABASE_UNREACHABLE" });
      opts.onUnreachable?.(message);
      if (opts.signal?.aborted) {
        await db.destroy();
        throw new SchedulerError("DATABASE_UNREACHABLE", message, { cause: e });
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, wait);
        opts.signal?.addEventListener("abort", () => { clearTimeout(t); r(); }, { once: true });
      });
      if (opts.signal?.aborted) {
        await db.destroy();
        throw new SchedulerError("DATABASE_UNREACHABLE", message, { cause: e });
      }
      wait = Math.min(30_000, wait * 2);
    }
  }
}
