// One embedded PostgreSQL per test run (or per test file without a globalSetup) holding a migrated
// template database; every test gets its own database copied from the template
// (CREATE DATABASE ... TEMPLATE takes milliseconds).
//
// initdb and migrating cost seconds, so the first start builds a cluster with the template in it,
// stops it cleanly and keeps it under the OS temp directory, keyed by a hash of the migrations'
// SQL; later starts copy that directory (cp -a) and only start the server.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { createCuebotDb } from "../connection.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../embedded/embedded-postgres.js";
import { cuebotMigrationStatements, migrateCuebotDb } from "../migrations/migrations.js";

/** Environment variables a jest globalSetup uses to hand its server to the test workers. */
export const TEST_SERVER_URL_ENV = "OPENCUE_TEST_PG_URL";
export const TEST_TEMPLATE_ENV = "OPENCUE_TEST_PG_TEMPLATE";

export const DEFAULT_TEMPLATE_DATABASE = "cuebot_template";

export interface TestServer {
  /** Connection string of the server's maintenance database ("postgres"), superuser credentials. */
  readonly adminUrl: string;
  /** The migrated database every test database is copied from. */
  readonly templateDatabase: string;
  /** The embedded server, when this process started it. */
  readonly server?: EmbeddedPostgres;
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates (or re-creates) `name` on the server and applies the migrations to it. */
export async function createTemplateDatabase(adminUrl: string, name = DEFAULT_TEMPLATE_DATABASE): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  const db = createCuebotDb(url.toString());
  try {
    await migrateCuebotDb(db);
  } finally {
    // No session may stay on a template, or copying it fails.
    await db.destroy();
  }
}

/** A data directory name directly under the temp directory (world-traversable, as root needs). */
function scratchDir(prefix: string): string {
  return join(tmpdir(), `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

function clusterKey(templateDatabase: string): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : -1;
  return createHash("sha256").update(JSON.stringify({ layout: 1, uid, templateDatabase, migrations: cuebotMigrationStatements })).digest("hex").slice(0, 20);
}

/** The cached, cleanly stopped cluster that holds the migrated template; built when missing. */
async function cachedCluster(templateDatabase: string): Promise<string> {
  const root = join(tmpdir(), "opencue-cuebot-db-clusters");
  const dir = join(root, clusterKey(templateDatabase));
  if (existsSync(join(dir, "READY"))) return dir;
  await mkdir(root, { recursive: true });
  const building = scratchDir(join("opencue-cuebot-db-clusters", "building"));
  const server = await startEmbeddedPostgres({ dataDir: building, persistent: true, durable: false, database: "postgres" });
  try {
    await createTemplateDatabase(server.connectionString, templateDatabase);
  } finally {
    await server.stop();
  }
  await writeFile(join(building, "READY"), "");
  // Another process may have finished first; either copy will do.
  await rename(building, dir).catch(() => rm(building, { recursive: true, force: true }));
  return dir;
}

async function startFromCache(templateDatabase: string): Promise<EmbeddedPostgres> {
  const dataDir = scratchDir("cuebot-db-test");
  await execFileAsync("cp", ["-a", await cachedCluster(templateDatabase), dataDir]);
  return startEmbeddedPostgres({ dataDir, persistent: false, database: "postgres" });
}

/**
 * Starts a throw-away embedded server (data in the temp directory, removed on stop) whose
 * `templateDatabase` holds the migrated schema. A jest globalSetup calls this once;
 * createTestDatabase calls it lazily when no globalSetup did.
 */
export async function startTestServer(options: { templateDatabase?: string } = {}): Promise<TestServer> {
  const templateDatabase = options.templateDatabase ?? DEFAULT_TEMPLATE_DATABASE;
  let server: EmbeddedPostgres;
  try {
    server = await startFromCache(templateDatabase);
  } catch {
    // A damaged or incompatible cache (other PostgreSQL binaries): rebuild it once.
    await rm(join(tmpdir(), "opencue-cuebot-db-clusters", clusterKey(templateDatabase)), { recursive: true, force: true });
    server = await startFromCache(templateDatabase);
  }
  return { adminUrl: server.connectionString, templateDatabase, server, stop: () => server.stop() };
}

let counter = 0;

/** A new database copied from the template; returns its name and connection string. */
export async function createDatabaseFromTemplate(adminUrl: string, templateDatabase: string): Promise<{ database: string; connectionString: string }> {
  const database = `cuebot_test_${process.pid}_${++counter}_${randomBytes(3).toString("hex")}`;
  await withAdmin(adminUrl, async (client) => {
    // FILE_COPY beats the default WAL_LOG strategy for a small template (with fsync off, its
    // checkpoints are cheap). Two copies of one template at the same instant can collide ("being
    // accessed by other users"): retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)} TEMPLATE ${client.escapeIdentifier(templateDatabase)} STRATEGY FILE_COPY`);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== "55006" || attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 25 * attempt));
      }
    }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return { database, connectionString: url.toString() };
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`));
}
