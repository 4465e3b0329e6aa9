// A per-frame cgroup v2 group: memory.max from the hard limit, memory.high from the soft limit (when the
// memory controller is delegated to us), and in every case an exact list of the frame's processes
// (cgroup.procs) and an atomic kill (cgroup.kill), which no setsid or double fork escapes.
import { access, mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface FrameCgroup {
  readonly dir: string;
  /** Whether memory.max / memory.high were set (the memory controller is enabled for this group). */
  readonly memoryLimited: boolean;
  addProcess(pid: number): Promise<void>;
  pids(): Promise<number[]>;
  /** oom_kill count from memory.events (0 without the memory controller). */
  oomKills(): Promise<number>;
  /** SIGKILL to every process in the group (cgroup.kill, else one by one). */
  killAll(): Promise<void>;
  /** Waits until the group holds no process; false on timeout. */
  waitEmpty(timeoutMs: number): Promise<boolean>;
  remove(): Promise<void>;
}

export function parseMemoryEvents(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

export const parseCgroupProcs = (text: string): number[] => text.split("\n").filter((l) => /^\d+$/.test(l.trim())).map(Number);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exists = (p: string) => access(p).then(() => true, () => false);

/** An existing group (recovery). */
export function openFrameCgroup(dir: string, memoryLimited: boolean): FrameCgroup {
  const pids = async () => parseCgroupProcs(await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => ""));
  return {
    dir,
    memoryLimited,
    addProcess: (pid) => writeFile(join(dir, "cgroup.procs"), `${pid}\n`),
    pids,
    async oomKills() {
      const text = await readFile(join(dir, "memory.events"), "utf8").catch(() => "");
      return parseMemoryEvents(text).oom_kill ?? 0;
    },
    async killAll() {
      if (await writeFile(join(dir, "cgroup.kill"), "1\n").then(() => true, () => false)) return;
      // Kernels before 5.14: no cgroup.kill; a few passes catch processes forked meanwhile.
      for (let pass = 0; pass < 5; pass++) {
        const list = await pids();
        if (list.length === 0) return;
        for (const pid of list) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // Gone already.
          }
        }
        await sleep(10);
      }
    },
    async waitEmpty(timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        if ((await pids()).length === 0) return true;
        if (Date.now() >= end) return false;
        await sleep(20);
      }
    },
    async remove() {
      // rmdir fails with EBUSY while the kernel still tears the last process down.
      for (let i = 0; i < 50; i++) {
        try {
          await rmdir(dir);
          return;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "ENOENT") return;
          if (code !== "EBUSY" || i === 49) throw e;
          await sleep(20);
        }
      }
    },
  };
}

/**
 * Creates `<root>/<name>` and sets its memory limits when the memory controller is available there.
 * A stale empty group of the same name (agent crash) is reused; one that still holds processes is refused.
 */
export async function createFrameCgroup(root: string, name: string, limits: { hardKb: number; softKb: number }): Promise<{ cgroup: FrameCgroup; notes: string[] }> {
  const dir = join(root, name);
  const notes: string[] = [];
  if (await exists(dir)) {
    const stale = openFrameCgroup(dir, false);
    if ((await stale.pids()).length > 0) throw new Error(`cgroup ${dir} exists and still holds processes`);
  } else {
    await mkdir(dir);
  }
  const controllers = (await readFile(join(dir, "cgroup.controllers"), "utf8").catch(() => "")).split(/\s+/);
  let memoryLimited = false;
  if (controllers.includes("memory")) {
    try {
      await writeFile(join(dir, "memory.max"), limits.hardKb > 0 ? `${limits.hardKb * 1024}\n` : "max\n");
      await writeFile(join(dir, "memory.high"), limits.softKb > 0 ? `${limits.softKb * 1024}\n` : "max\n");
      // Without this the frame would swap past its hard limit instead of being stopped at it.
      if (limits.hardKb > 0 && (await exists(join(dir, "memory.swap.max")))) await writeFile(join(dir, "memory.swap.max"), "0\n");
      // An OOM kill takes the whole frame, not one random process of it: half a render is worthless.
      await writeFile(join(dir, "memory.oom.group"), "1\n").catch(() => undefined);
      memoryLimited = limits.hardKb > 0;
    } catch (e) {
      notes.push(`note: cannot set memory limits in ${dir} (${(e as Error).message}); the runner's watchdog enforces the hard limit`);
    }
  } else if (limits.hardKb > 0 || limits.softKb > 0) {
    notes.push(`note: the memory controller is not enabled in ${root}; the runner's watchdog enforces the hard limit`);
  }
  return { cgroup: openFrameCgroup(dir, memoryLimited), notes };
}
