import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "./embedded-postgres.js";
import { findFreePort } from "./free-port.js";
import { startTestServer } from "../testing/test-server.js";
import { startParentWatchdog } from "./watchdog.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function query<T>(connectionString: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

describe("startEmbeddedPostgres", () => {
  test("a persistent server keeps its data across restarts on a chosen port", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "cuebot-db-embedded-"));
    try {
      const port = await findFreePort();
      const first = await startEmbeddedPostgres({ dataDir, port, database: "farm", password: "pw-1" });
      expect(first).toMatchObject({ host: "127.0.0.1", port, user: "cuebot", database: "farm" });
      expect(first.connectionString).toBe(`postgres://cuebot:pw-1@127.0.0.1:${port}/farm`);
      await query(first.connectionString, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
      const [version] = await query<{ server_version_num: string }>(first.connectionString, "SHOW server_version_num");
      expect(Number(version!.server_version_num)).toBeGreaterThanOrEqual(170000);
      await first.stop();
      await first.stop(); // idempotent
      expect(alive(first.pid)).toBe(false);

      // A port that is taken: start-up fails and the error carries the server's log.
      const holder = createServer();
      await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
      const taken = (holder.address() as AddressInfo).port;
      try {
        await expect(startEmbeddedPostgres({ dataDir, port: taken, database: "farm", password: "pw-1" })).rejects.toThrow(/start on port \d+ failed[\s\S]*server log[\s\S]*could not bind/);
      } finally {
        await new Promise((r) => holder.close(r));
      }

      const second = await startEmbeddedPostgres({ dataDir, database: "farm", password: "pw-1" });
      try {
        expect(second.port).not.toBe(0);
        expect(await query(second.connectionString, "SELECT v FROM kept")).toEqual([{ v: 42 }]);
      } finally {
        await second.stop();
      }
      expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test("a throw-away server removes its data directory on stop", async () => {
    // startTestServer starts a copy of a cached cluster with persistent: false.
    const { server } = await startTestServer();
    expect(await query(server!.connectionString, "SELECT current_database() AS db")).toEqual([{ db: "postgres" }]);
    expect(existsSync(server!.dataDir)).toBe(true);
    await server!.stop();
    expect(alive(server!.pid)).toBe(false);
    expect(existsSync(server!.dataDir)).toBe(false);
  });

  test("the watchdog stops the server and removes its data when the parent process is killed", async () => {
    const { server } = await startTestServer();
    // A stand-in parent: a real process that we kill with SIGTERM.
    const parent = spawn("sleep", ["60"], { stdio: "ignore" });
    const exited = new Promise((r) => parent.once("exit", r));
    startParentWatchdog({ parentPid: parent.pid!, postgresPid: server!.pid, removeDir: server!.dataDir });
    expect(alive(server!.pid)).toBe(true);
    parent.kill("SIGTERM");
    await exited;
    await waitFor(() => !alive(server!.pid) && !existsSync(server!.dataDir), 15_000);
    await server!.stop(); // returns although the server is already gone
  });
});
