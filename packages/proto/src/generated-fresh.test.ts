import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The nearest node_modules/.bin holding buf and protoc-gen-es (workspace root when hoisted). */
function findBinDir(): string {
  for (let dir = packageDir; ; dir = dirname(dir)) {
    const bin = join(dir, "node_modules", ".bin");
    if (existsSync(join(bin, "buf")) && existsSync(join(bin, "protoc-gen-es"))) return bin;
    if (dirname(dir) === dir) throw new Error("buf / protoc-gen-es not installed");
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

test("committed src/gen matches a fresh buf generate of proto/ (run `npm run generate` when this fails)", () => {
  const bin = findBinDir();
  const out = mkdtempSync(join(tmpdir(), "proto-gen-"));
  try {
    // -o re-roots the template's `out: src/gen`, so the real buf.gen.yaml is what gets checked.
    const result = spawnSync(join(bin, "buf"), ["generate", "-o", out], {
      cwd: packageDir,
      env: { ...process.env, PATH: `${bin}${delimiter}${process.env["PATH"] ?? ""}` },
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const fresh = join(out, "src", "gen");
    const committed = join(packageDir, "src", "gen");
    expect(listFiles(committed)).toEqual(listFiles(fresh));
    for (const file of listFiles(fresh)) {
      expect({ file, text: readFileSync(join(committed, file), "utf8") }).toEqual({
        file,
        text: readFileSync(join(fresh, file), "utf8"),
      });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
