// jest globalSetup: one embedded PostgreSQL for the whole jest run, shared by every worker through
// environment variables (workers are forked after globalSetup and inherit them).
//   jest.config.js: globalSetup: "@opencue-ts/cuebot-db/jest-global-setup",
//                   globalTeardown: "@opencue-ts/cuebot-db/jest-global-teardown"
import { TEST_SERVER_URL_ENV, TEST_TEMPLATE_ENV, startTestServer, type TestServer } from "./test-server.js";

const KEY = Symbol.for("@opencue-ts/cuebot-db/jest-test-server");

export default async function globalSetup(): Promise<void> {
  const server = await startTestServer();
  process.env[TEST_SERVER_URL_ENV] = server.adminUrl;
  process.env[TEST_TEMPLATE_ENV] = server.templateDatabase;
  // globalSetup and globalTeardown run in the same (main) process and share globalThis.
  (globalThis as Record<symbol, TestServer | undefined>)[KEY] = server;
}

export async function stopGlobalTestServer(): Promise<void> {
  const slot = globalThis as Record<symbol, TestServer | undefined>;
  const server = slot[KEY];
  slot[KEY] = undefined;
  delete process.env[TEST_SERVER_URL_ENV];
  delete process.env[TEST_TEMPLATE_ENV];
  if (server !== undefined) await server.stop();
}
