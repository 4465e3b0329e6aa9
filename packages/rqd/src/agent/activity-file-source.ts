// A NIMBY input source from a file's modification time (machine.nimby_activity_file): for kiosks whose
// input another program watches, and for tests, which "use the host" by touching the file.
import { stat } from "node:fs/promises";
import type { IdleSource } from "@opencue-ts/host-monitor";

export function createActivityFileSource(path: string, now: () => number = Date.now): IdleSource {
  return {
    name: `activity-file:${path}`,
    probe: () => Promise.resolve(true),
    async idleSeconds() {
      const s = await stat(path).catch(() => null);
      return s ? Math.max(0, (now() - s.mtimeMs) / 1000) : null;
    },
  };
}
