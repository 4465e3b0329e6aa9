#!/usr/bin/env node
// Runs every package benchmark (packages/*/bench/*.bench.mjs) against the built dist/ and prints their
// tables. Usage: npm run bench [-- name-filter]. Builds first so the numbers are for the current code.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import os from "node:os";

const root = new URL("..", import.meta.url).pathname;
const filter = process.argv[2] ?? "";
const build = spawnSync(join(root, "node_modules", ".bin", "nx"), ["run-many", "-t", "build", "--outputStyle=static"], { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NX_TUI: "false" } });
if (build.status !== 0) { console.error("build failed"); process.exit(1); }
console.log(`# opencue-ts benchmarks\n\nnode ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${new Date().toISOString()}\n`);
let failed = 0;
for (const dir of readdirSync(join(root, "packages")).sort()) {
  const benchDir = join(root, "packages", dir, "bench");
  if (!existsSync(benchDir)) continue;
  for (const f of readdirSync(benchDir).filter((f) => f.endsWith(".bench.mjs")).sort()) {
    if (filter && !`${dir}/${f}`.includes(filter)) continue;
    console.log(`## ${dir}/bench/${f}\n`);
    const r = spawnSync(process.execPath, ["--expose-gc", join(benchDir, f)], { cwd: join(root, "packages", dir), stdio: "inherit", timeout: 300_000 });
    if (r.status !== 0) { failed++; console.log(`\n(${f} failed: ${r.status ?? r.signal})`); }
    console.log("");
  }
}
process.exit(failed ? 1 : 0);
