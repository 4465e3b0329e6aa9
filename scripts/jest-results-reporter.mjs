// Jest reporter that records a package's test counts in <repo>/.test-results/<package dir>.json, so the
// root test command can print one closing "N passed, N failed" line over every package.
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const resultsDir = new URL("../.test-results/", import.meta.url).pathname;

export default class ResultsReporter {
  constructor(globalConfig) {
    this.name = basename(globalConfig.rootDir);
  }
  onRunComplete(_contexts, results) {
    mkdirSync(resultsDir, { recursive: true });
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites, numTotalTestSuites } = results;
    writeFileSync(join(resultsDir, `${this.name}.json`), JSON.stringify({ numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites, numTotalTestSuites }) + "\n");
  }
}
