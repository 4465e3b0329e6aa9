// A detached shell that outlives us: if this process dies without stopping its PostgreSQL (SIGKILL,
// a crash, a jest worker torn down — where exit hooks never run), it stops the server and, for a
// throw-away server, removes its data directory. Only processes this module started are signalled.
import { spawn } from "node:child_process";

export interface Watchdog {
  /** Stop watching (the server was stopped normally). */
  cancel(): void;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function startParentWatchdog(options: { parentPid: number; postgresPid: number; removeDir?: string }): Watchdog {
  const { parentPid, postgresPid, removeDir } = options;
  const script = [
    // A dead parent may stay a zombie (an init that never reaps): that counts as gone.
    `up() { s=$(cat /proc/$1/stat 2>/dev/null) || return 1; s=\${s##*") "}; case $s in Z*|X*) return 1;; esac; }`,
    `while up ${parentPid}; do sleep 1; done`,
    // The parent's own exit hook may have stopped the server already, and its pid may since belong to
    // another process: only signal it while it is still a postgres.
    `pg() { [ "$(cat /proc/${postgresPid}/comm 2>/dev/null)" = postgres ]; }`,
    // Fast shutdown, then give it a few seconds before the immediate one.
    `pg && kill -INT ${postgresPid} 2>/dev/null`,
    `i=0; while pg && up ${postgresPid} && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done`,
    `pg && kill -QUIT ${postgresPid} 2>/dev/null`,
    ...(removeDir ? [`sleep 0.2; rm -rf ${shellQuote(removeDir)}`] : []),
  ].join("\n");
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.on("error", () => undefined);
  child.unref();
  return {
    cancel: () => {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
}
