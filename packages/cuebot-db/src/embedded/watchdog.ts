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
    `while kill -0 ${parentPid} 2>/dev/null; do sleep 1; done`,
    // Fast shutdown, then give it a few seconds before the immediate one.
    `kill -INT ${postgresPid} 2>/dev/null`,
    `i=0; while kill -0 ${postgresPid} 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done`,
    `kill -QUIT ${postgresPid} 2>/dev/null`,
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
