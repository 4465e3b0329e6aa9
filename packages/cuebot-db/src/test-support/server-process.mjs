// A real parent process for the signal tests: starts an embedded PostgreSQL from the built library,
// prints its pid and data directory as one JSON line, then waits to be signalled by the test.
//   node server-process.mjs throwaway            a test server (copy of the cached cluster, removed on stop)
//   node server-process.mjs persistent <dataDir>  a persistent server in dataDir
import { startEmbeddedPostgres, startTestServer } from "../../dist/index.js";

const [mode, dataDir] = process.argv.slice(2);
const server = mode === "persistent" ? await startEmbeddedPostgres({ dataDir, persistent: true }) : (await startTestServer()).server;
process.stdout.write(`${JSON.stringify({ pid: server.pid, dataDir: server.dataDir, connectionString: server.connectionString, uid: process.getuid() })}\n`);
setInterval(() => {}, 1000);
