// The embedded data directory as root and as an ordinary user, on a simulated file system.
import { chooseEmbeddedDataDir, DEFAULT_EMBEDDED_DATA_DIR, ROOT_EMBEDDED_DATA_DIR, unreachableAncestor, type EmbeddedDataDirEnv } from "./embedded-data-dir.js";
import { SchedulerError } from "../errors.js";

const dirs: Record<string, number> = { "/": 0o755, "/root": 0o700, "/home": 0o755, "/home/render": 0o750, "/srv": 0o755 };
const env = (isRoot: boolean, home: string): EmbeddedDataDirEnv => ({ isRoot, home, modeOf: (d) => dirs[d] ?? null });

test("an ordinary user keeps the configured directory, ~ expanded", () => {
  expect(chooseEmbeddedDataDir(DEFAULT_EMBEDDED_DATA_DIR, env(false, "/home/render"))).toEqual({ dataDir: "/home/render/.cue-scheduler/pgdata", note: null });
});

test("root with the default under /root (mode 700) moves to the system location and says why", () => {
  const c = chooseEmbeddedDataDir(DEFAULT_EMBEDDED_DATA_DIR, env(true, "/root"));
  expect(c.dataDir).toBe(ROOT_EMBEDDED_DATA_DIR);
  expect(c.note).toContain("cannot enter /root");
});

test("root with a reachable configured directory keeps it", () => {
  expect(chooseEmbeddedDataDir("/srv/cue/pg", env(true, "/root"))).toEqual({ dataDir: "/srv/cue/pg", note: null });
});

test("root with an explicit directory postgres cannot reach is refused, naming the key and the blocker", () => {
  let err: unknown;
  try {
    chooseEmbeddedDataDir("/home/render/pg", env(true, "/root"));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SchedulerError);
  expect((err as SchedulerError).code).toBe("CONFIG_INVALID");
  expect((err as SchedulerError).message).toMatch(/database\.embedded_data_dir .*\/home\/render\b/);
});

test("directories that do not exist yet never block (they are created 0755)", () => {
  expect(unreachableAncestor("/srv/new/deeper/pg", (d) => dirs[d] ?? null)).toBeNull();
  expect(unreachableAncestor("/root/x/y", (d) => dirs[d] ?? null)).toBe("/root");
});
