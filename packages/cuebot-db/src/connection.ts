// Connection helper: a Kysely<Database> over a pg Pool with Cuebot-friendly parsing (int8 and numeric
// as JS numbers, sessions in UTC) and connection errors that say where, never with the password.
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from "kysely";
import pg from "pg";
import type { Database } from "./schema/tables.js";

export interface CuebotDbConfig {
  /** postgres://user:password@host:port/database; the other fields override its parts. */
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  /** Pool size (default 10). */
  readonly max?: number;
  /** How long to wait for a connection before failing (default 10 000 ms). */
  readonly connectionTimeoutMillis?: number;
  readonly applicationName?: string;
  /**
   * Session settings for every connection, sent with the connection's startup options (e.g.
   * `{ plan_cache_mode: "force_generic_plan" }`). Names and values must be plain words.
   */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
}

/** Where a connection goes, without secrets: what error messages and logs may show. */
export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/** Raised when a connection cannot be opened; the message names host, port, database and user. */
export class CuebotDbConnectionError extends Error {
  override readonly name = "CuebotDbConnectionError";
  constructor(readonly target: ConnectionTarget, readonly causeMessage: string, options?: { cause?: unknown }) {
    super(`cannot connect to PostgreSQL at ${target.host}:${target.port}, database "${target.database}", user "${target.user}": ${causeMessage}`, options);
  }
}

function normalize(config: CuebotDbConfig | string): CuebotDbConfig {
  return typeof config === "string" ? { connectionString: config } : config;
}

function parseUrl(connectionString: string | undefined): Partial<Record<"host" | "port" | "user" | "password" | "database", string>> {
  if (connectionString === undefined) return {};
  try {
    const url = new URL(connectionString);
    return {
      host: url.hostname || undefined,
      port: url.port || undefined,
      user: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined,
    };
  } catch {
    return {};
  }
}

/** The target of a configuration, with pg's defaults (PGHOST etc. are not consulted). */
export function connectionTarget(config: CuebotDbConfig | string): ConnectionTarget {
  const c = normalize(config);
  const url = parseUrl(c.connectionString);
  return {
    host: c.host ?? url.host ?? "localhost",
    port: c.port ?? (url.port !== undefined ? Number(url.port) : 5432),
    database: c.database ?? url.database ?? c.user ?? url.user ?? "postgres",
    user: c.user ?? url.user ?? "postgres",
  };
}

/** Replaces every occurrence of the password (plain and URL-encoded) in a message. */
export function redactPassword(message: string, password: string | undefined): string {
  if (!password) return message;
  let out = message;
  for (const secret of new Set([password, encodeURIComponent(password)])) out = out.split(secret).join("***");
  return out;
}

// int8 (20) and numeric (1700) come back as strings from pg by default. Cuebot's bigint columns are
// counters (centicores, KB, counts) far below 2^53, so numbers are safe and far handier.
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const cuebotTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return format === "binary" ? pg.types.getTypeParser(oid, "binary") : pg.types.getTypeParser(oid, "text");
  }) as typeof pg.types.getTypeParser,
};

/** The pg pool settings createCuebotDb uses, for callers that need a raw pg Pool or Client. */
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const SETTING_VALUE = /^[A-Za-z0-9_.:+-]+$/;

/** The startup options string: sessions in UTC, plus the configured settings (checked: no injection). */
function startupOptions(settings: CuebotDbConfig["settings"]): string {
  const parts = ["-c timezone=UTC"];
  for (const [name, value] of Object.entries(settings ?? {})) {
    const v = String(value);
    if (!SETTING_NAME.test(name)) throw new TypeError(`invalid PostgreSQL setting name ${JSON.stringify(name)}`);
    if (!SETTING_VALUE.test(v)) throw new TypeError(`invalid value ${JSON.stringify(v)} for PostgreSQL setting ${name}`);
    parts.push(`-c ${name}=${v}`);
  }
  return parts.join(" ");
}

export function pgPoolConfig(config: CuebotDbConfig | string): pg.PoolConfig {
  const c = normalize(config);
  return {
    connectionString: c.connectionString,
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    max: c.max ?? 10,
    connectionTimeoutMillis: c.connectionTimeoutMillis ?? 10_000,
    application_name: c.applicationName ?? "opencue-ts",
    options: startupOptions(c.settings),
    types: cuebotTypes,
  };
}

// Hot statements run as named prepared statements: PostgreSQL parses and analyses them once per
// connection instead of on every call (milliseconds for a large CTE statement). A statement opts in
// by starting with preparedStatement(name); its text must then be the same on every call (values go in
// parameters), and pg refuses a name reused with another text.
const PREPARED_RE = /^\/\* cue:prepare ([A-Za-z0-9_]{1,63}) \*\//;
const NAMED = Symbol("cuebot-db named statements");

/** The marker that makes a statement a named prepared statement (put it first in the SQL text). */
export function preparedStatement(name: string): string {
  if (!/^[A-Za-z0-9_]{1,63}$/.test(name)) throw new TypeError(`prepared statement name "${name}" must be 1-63 letters, digits or _`);
  return `/* cue:prepare ${name} */`;
}

type QueryFn = (...args: unknown[]) => unknown;
function withNamedStatements<C extends PostgresPoolClient>(client: C): C {
  const c = client as unknown as { [NAMED]?: true; query: QueryFn };
  if (c[NAMED]) return client;
  const query = c.query.bind(c);
  c.query = (...args: unknown[]) => {
    const [text, values] = args;
    const m = args.length === 2 && typeof text === "string" ? PREPARED_RE.exec(text) : null;
    return m ? query({ name: m[1], text, values }) : query(...args);
  };
  c[NAMED] = true;
  return client;
}

/**
 * A Kysely instance on Cuebot's schema. Connections open lazily; a failure to connect surfaces on the
 * first query as CuebotDbConnectionError. Call `destroy()` to close the pool.
 */
export function createCuebotDb(config: CuebotDbConfig | string): Kysely<Database> {
  const c = normalize(config);
  const target = connectionTarget(c);
  const password = c.password ?? parseUrl(c.connectionString).password;
  const pool = new pg.Pool(pgPoolConfig(c));
  // An idle client losing its server must not crash the process; the next checkout reports it.
  pool.on("error", () => undefined);
  const guarded: PostgresPool = {
    connect: async (): Promise<PostgresPoolClient> => {
      try {
        return withNamedStatements(await pool.connect());
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new CuebotDbConnectionError(target, redactPassword(message, password));
      }
    },
    end: () => pool.end(),
  };
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: guarded }) });
}
