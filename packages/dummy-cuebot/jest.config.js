import preset from "../../jest.preset.js";

export default {
  ...preset,
  displayName: "dummy-cuebot",
  // One embedded PostgreSQL for the run; every DB test file makes its own databases on it.
  globalSetup: "@opencue-ts/cuebot-db/jest-global-setup",
  globalTeardown: "@opencue-ts/cuebot-db/jest-global-teardown",
};
