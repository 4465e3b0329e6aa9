#!/usr/bin/env node
// Proves that each package installs and imports on its own, as a user would get it from the registry:
// `npm pack` every workspace package, then for each one a scratch project that installs only its tarball
// (plus the tarballs of the workspace packages it depends on), imports it and runs its bin's --help.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const dirs = readdirSync(join(root, "packages"));
// Private packages (the end-to-end tests) are never published, so they are not packed.
const pkgs = new Map(dirs.map((d) => {
  const pj = JSON.parse(readFileSync(join(root, "packages", d, "package.json"), "utf8"));
  return [pj.name, { dir: d, pj }];
}).filter(([, { pj }]) => pj.private !== true));
const sh = (cmd, args, cwd) => spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "error" } });

const work = mkdtempSync(join(tmpdir(), "opencue-pack-"));
const tarballs = new Map();
for (const [name, { dir }] of pkgs) {
  const r = sh("npm", ["pack", "--json", "--pack-destination", work], join(root, "packages", dir));
  if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
  const info = JSON.parse(r.stdout)[0];
  tarballs.set(name, join(work, info.filename));
  if (info.files.some((f) => f.path.endsWith(".test.ts") || f.path.includes("tsbuildinfo"))) {
    console.error(`${name}: the tarball contains test files or build info`); process.exit(1);
  }
}

const closure = (name, acc = new Set()) => {
  acc.add(name);
  for (const d of Object.keys(pkgs.get(name).pj.dependencies ?? {})) if (pkgs.has(d) && !acc.has(d)) closure(d, acc);
  return acc;
};

let passed = 0, failed = 0;
for (const [name, { pj }] of pkgs) {
  const dir = mkdtempSync(join(work, "scratch-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module", allowScripts: rootPkg.allowScripts }));
  const tgzs = [...closure(name)].map((n) => tarballs.get(n));
  const t = Date.now();
  let r = sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock", ...tgzs], dir);
  let problem = r.status !== 0 ? `npm install failed:\n${r.stderr}` : "";
  if (!problem) {
    r = sh(process.execPath, ["--input-type=module", "-e", `const m = await import(${JSON.stringify(name)}); if (Object.keys(m).length === 0) throw new Error("no exports");`], dir);
    if (r.status !== 0) problem = `import failed:\n${r.stderr}`;
  }
  for (const bin of Object.keys(pj.bin ?? {})) {
    if (problem) break;
    r = sh(join(dir, "node_modules", ".bin", bin), ["--help"], dir);
    if (r.status !== 0 || !/usage/i.test(r.stdout)) problem = `${bin} --help failed (${r.status}):\n${r.stdout}${r.stderr}`;
  }
  const s = ((Date.now() - t) / 1000).toFixed(1);
  if (problem) { failed++; console.log(`FAIL ${name} (${s} s): ${problem}`); }
  else { passed++; console.log(`ok   ${name} installs alone, imports${pj.bin ? " and runs " + Object.keys(pj.bin).join(", ") + " --help" : ""} (${s} s)`); }
}
rmSync(work, { recursive: true, force: true });
console.log(`pack-check: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
