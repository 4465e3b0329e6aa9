import preset from "../../jest.preset.js";

// One embedded PostgreSQL for the run; each test file makes its own databases from its template.
export default {
  ...preset,
  displayName: "scheduler-service",
  globalSetup: "@opencue-ts/cuebot-db/jest-global-setup",
  globalTeardown: "@opencue-ts/cuebot-db/jest-global-teardown",
  testTimeout: 60000,
};
