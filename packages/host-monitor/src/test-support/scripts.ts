import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A scratch directory holding small executable shell scripts that stand in for nvidia-smi etc. */
export function createScriptDir(): { dir: string; script(name: string, body: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "hm-bin-"));
  return {
    dir,
    script(name, body) {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
