import preset from "../../jest.preset.js";

// Real processes on loopback: one farm per test file, tests in order, generous waits.
export default { ...preset, displayName: "e2e", testTimeout: 90_000 };
