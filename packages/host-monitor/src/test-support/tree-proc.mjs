// A process-tree member for the integration tests and the benchmark. Roles:
//   root            spawns: plain, session-parent (detached => setsid), orphan-parent
//   session-parent  new session; spawns one plain child in it
//   orphan-parent   spawns one plain child and exits, leaving it re-parented but still in root's session
//   plain           nothing
// Every process allocates and touches MB mebibytes when it receives SIGUSR2, and lives until killed.
// When TREE_READY_DIR is set, each process creates <dir>/<pid> once its signal handler is installed
// (before that, SIGUSR2 would kill it).
import { spawn } from "node:child_process";
import { Buffer } from "node:buffer";
import { writeFileSync } from "node:fs";

const [, self, role, mbArg] = process.argv;
const mb = Number(mbArg ?? "64");
const spawnKid = (kidRole, detached = false) =>
  spawn(process.execPath, [self, kidRole, String(mb)], { stdio: "ignore", detached });

if (role === "root") {
  spawnKid("plain");
  spawnKid("session-parent", true);
  spawnKid("orphan-parent");
} else if (role === "session-parent") {
  spawnKid("plain");
} else if (role === "orphan-parent") {
  const kid = spawnKid("plain");
  kid.once("spawn", () => setTimeout(() => process.exit(0), 100));
}

let held = null;
process.on("SIGUSR2", () => {
  held = Buffer.alloc(mb * 1024 * 1024).fill(1);
});
if (process.env.TREE_READY_DIR) writeFileSync(`${process.env.TREE_READY_DIR}/${process.pid}`, role);
setInterval(() => held?.length, 60_000);
