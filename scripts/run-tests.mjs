#!/usr/bin/env node
// The whole test suite: workspace sync check, lint, build + typecheck + unit/integration tests of every
// package (Nx), then the pack-and-install check. Prints one closing "N passed, N failed" line.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const results = join(root, ".test-results");
const steps = [];
const run = (name, cmd, args, env = {}) => {
  const t = Date.now();
  console.log(`\n=== ${name}: ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, NX_TUI: "false", ...env } });
  const ok = r.status === 0;
  steps.push({ name, ok, seconds: (Date.now() - t) / 1000 });
  return ok;
};

rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
const nx = join(root, "node_modules", ".bin", "nx");
// sync:check also computes the Nx project graph, which the module-boundary lint rule reads.
run("workspace sync", nx, ["sync:check"]);
run("lint", join(root, "node_modules", ".bin", "eslint"), ["--max-warnings=0", "."]);
// --skip-nx-cache: every run of the test command really runs the tests.
const only = process.env.TEST_PROJECTS ? ["--projects", process.env.TEST_PROJECTS] : [];
run("build, typecheck, test", nx, ["run-many", "-t", "build", "typecheck", "test", "--outputStyle=stream", "--parallel=2", "--skip-nx-cache", ...only]);
if (!process.env.SKIP_PACK_CHECK) run("pack and install every package alone", process.execPath, [join(root, "scripts", "pack-check.mjs")]);

let passed = 0, failed = 0, skipped = 0;
const rows = [];
for (const f of existsSync(results) ? readdirSync(results).filter((f) => f.endsWith(".json")).sort() : []) {
  const j = JSON.parse(readFileSync(join(results, f), "utf8"));
  const p = j.numPassedTests ?? 0, fl = j.numFailedTests ?? 0, s = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  // A suite that failed to load counts as a failure even when it had no test to fail.
  const broken = (j.numRuntimeErrorTestSuites ?? 0);
  passed += p; failed += fl + broken; skipped += s;
  rows.push([f.replace(/\.json$/, ""), p, fl + broken, s]);
}
console.log("\n=== summary");
console.log("package".padEnd(22), "passed".padStart(7), "failed".padStart(7), "skipped".padStart(8));
for (const [n, p, f, s] of rows) console.log(String(n).padEnd(22), String(p).padStart(7), String(f).padStart(7), String(s).padStart(8));
for (const s of steps) {
  console.log(`${s.ok ? "ok  " : "FAIL"} ${s.name} (${s.seconds.toFixed(1)} s)`);
  if (!s.ok) failed += 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
