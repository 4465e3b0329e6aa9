import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFrameRunner, type FrameRunnerOptions } from "../frame-runner.js";

export const me = process.getuid?.() ?? 1000;
export const isRoot = me === 0;

const made: string[] = [];

export function dirs() {
  const base = mkdtempSync(join(tmpdir(), "frame-runner-"));
  made.push(base);
  chmodSync(base, 0o755);
  return { base, logDir: join(base, "logs"), stateDir: join(base, "state") };
}

/** A runner that runs frames as the test's own user, with short intervals. */
export const runnerFor = (d: { stateDir: string }, over: Partial<FrameRunnerOptions> = {}) =>
  createFrameRunner({ hostName: "test-host", stateDir: d.stateDir, runAsUser: false, defaultUid: me, allowRootFrames: true, monitorIntervalMs: 100, tailIntervalMs: 50, killGraceMs: 2000, ...over });

/** Alive and not a zombie (this container's init may never reap orphans). */
export const pidAlive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
};

export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Field `key` of /proc/PID/status. */
export async function procStatus(pid: number, key: string): Promise<string | null> {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const line = text.split("\n").find((l) => l.startsWith(`${key}:`));
  return line ? line.slice(key.length + 1).trim() : null;
}

/** Test files call this in afterAll: logs (one is 50 MB) must not pile up in /tmp. */
export function removeTestDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
