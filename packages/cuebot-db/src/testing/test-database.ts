// createTestDatabase(): a fresh, migrated Cuebot database per test, on one shared embedded server.
//
// Server lookup: when a jest globalSetup (see jest-global-setup.ts) started a server it exports
// OPENCUE_TEST_PG_URL / OPENCUE_TEST_PG_TEMPLATE and every worker uses that one server. Otherwise
// the first call starts a server lazily for this module instance (under jest's ESM runner: one per
// test file); call stopTestServer() in afterAll, and a watchdog stops it if the worker dies first.
import type { Kysely } from "kysely";
import { createCuebotDb } from "../connection.js";
import type { Database } from "../schema/tables.js";
import {
  TEST_SERVER_URL_ENV,
  TEST_TEMPLATE_ENV,
  DEFAULT_TEMPLATE_DATABASE,
  createDatabaseFromTemplate,
  dropDatabase,
  startTestServer,
  type TestServer,
} from "./test-server.js";

export interface TestDatabase {
  readonly db: Kysely<Database>;
  /** The database's name on the shared server. */
  readonly database: string;
  /** Full connection string (with the test server's password). */
  readonly connectionString: string;
  /** Closes the pool and drops the database. */
  destroy(): Promise<void>;
}

let lazyServer: Promise<TestServer> | undefined;

function sharedServer(): Promise<{ adminUrl: string; templateDatabase: string }> {
  const url = process.env[TEST_SERVER_URL_ENV];
  if (url) return Promise.resolve({ adminUrl: url, templateDatabase: process.env[TEST_TEMPLATE_ENV] ?? DEFAULT_TEMPLATE_DATABASE });
  lazyServer ??= startTestServer();
  return lazyServer;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl, templateDatabase } = await sharedServer();
  const { database, connectionString } = await createDatabaseFromTemplate(adminUrl, templateDatabase);
  const db = createCuebotDb({ connectionString, max: 5 });
  let destroyed: Promise<void> | undefined;
  return {
    db,
    database,
    connectionString,
    destroy: () => {
      destroyed ??= (async () => {
        await db.destroy();
        await dropDatabase(adminUrl, database);
      })();
      return destroyed;
    },
  };
}

/** Stops the server createTestDatabase started lazily (a globalSetup's server is left alone). */
export async function stopTestServer(): Promise<void> {
  const pending = lazyServer;
  lazyServer = undefined;
  if (pending !== undefined) await (await pending).stop();
}
