// A real parent process for the signal tests: starts an embedded PostgreSQL from the built library,
// prints its pid and data directory as one JSON line, then waits to be signalled by the test.
//   node server-process.mjs throwaway            a test server (copy of the cached cluster, removed on stop)
//   node server-process.mjs persistent <dataDir>  a persistent server in dataDir
//   node server-process.mjs graceful <dataDir>    persistent, with signalGraceMs: on SIGTERM or SIGINT it
//                                                 keeps using the server for a second, prints what it
//                                                 read, then stops it itself
import pg from "pg";
import { startEmbeddedPostgres, startTestServer } from "../../dist/index.js";

const [mode, dataDir] = process.argv.slice(2);
const server = mode === "throwaway"
  ? (await startTestServer()).server
  : await startEmbeddedPostgres({ dataDir, persistent: true, ...(mode === "graceful" ? { signalGraceMs: 20_000 } : {}) });
process.stdout.write(`${JSON.stringify({ pid: server.pid, dataDir: server.dataDir, connectionString: server.connectionString, uid: process.getuid() })}\n`);
if (mode === "graceful") {
  const graceful = async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const client = new pg.Client({ connectionString: server.connectionString });
    try {
      await client.connect();
      const { rows } = await client.query("SELECT 1 AS one");
      process.stdout.write(`after-signal ${rows[0].one}\n`);
      await client.end();
    } catch (e) {
      process.stdout.write(`after-signal error ${e.message}\n`);
    }
    await server.stop();
  };
  process.once("SIGTERM", graceful);
  process.once("SIGINT", graceful);
}
setInterval(() => {}, 1000);
