// Shared jest settings: ESM, swc transform (type errors are caught by `tsc -b`, not by jest).
export default {
  testEnvironment: "node",
  testMatch: ["<rootDir>/src/**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } }],
  },
  testTimeout: 30000,
  // Packages whose issue has not landed yet have no tests; the summary shows them with 0.
  passWithNoTests: true,
  reporters: ["default", new URL("./scripts/jest-results-reporter.mjs", import.meta.url).pathname],
};
