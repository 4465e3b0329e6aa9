import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { toChildrenProcStats } from "../children-stats.js";
import type { ProcessTreeSample } from "../process-types.js";
import { createProcessSampler, readBootTime, readProcessStartTicks, readProcessTree, readProcessTrees } from "./process-sampler.js";

const treeScript = fileURLToPath(new URL("../test-support/tree-proc.mjs", import.meta.url));
const MB = 64;
const spawned: ChildProcess[] = [];
const extraPids = new Set<number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once("exit", resolve));
}

afterAll(async () => {
  for (const child of spawned) {
    if (child.pid === undefined) continue;
    // Frames here are group leaders (detached): kill their groups, then every pid we saw.
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const pid of extraPids) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // not a group leader or gone
    }
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  await Promise.all(spawned.map(exited));
});

describe("readProcessTree on this machine's /proc", () => {
  let root: ChildProcess;
  let first: ProcessTreeSample;

  beforeAll(async () => {
    const readyDir = mkdtempSync(join(tmpdir(), "hm-ready-"));
    root = spawn(process.execPath, [treeScript, "root", String(MB)], { detached: true, stdio: "ignore", env: { ...process.env, TREE_READY_DIR: readyDir } });
    spawned.push(root);
    const pid = root.pid!;
    // root, plain, session-parent, its plain child, and the orphan (its parent exits)
    first = await waitFor("the 5-process tree", async () => {
      const t = await readProcessTree(pid);
      t?.processes.forEach((p) => extraPids.add(p.pid));
      // ready when the orphan's parent has exited and all three "plain" processes run
      const ready =
        t !== null &&
        t.processes.length === 5 &&
        t.processes.every((p) => p.cmdline.includes("tree-proc.mjs") && !p.cmdline.includes("orphan-parent")) &&
        t.processes.filter((p) => p.cmdline.includes(" plain ")).length === 3 &&
        t.processes.every((p) => existsSync(join(readyDir, String(p.pid))));
      return ready ? t : null;
    });
    rmSync(readyDir, { recursive: true, force: true });
  });

  test("finds every process: ppid walk (child that called setsid) and session (re-parented orphan)", () => {
    const pid = root.pid!;
    const [head, ...rest] = first.processes;
    expect(head).toMatchObject({ pid, sid: pid, pgid: pid });
    const bySession = rest.filter((p) => p.sid === pid);
    const ownSession = rest.filter((p) => p.sid !== pid);
    // plain + orphan stay in the frame's session; session-parent and its child are in a new one
    expect(bySession).toHaveLength(2);
    expect(ownSession).toHaveLength(2);
    const sessionLeader = ownSession.find((p) => p.sid === p.pid)!;
    expect(sessionLeader.ppid).toBe(pid);
    expect(ownSession.find((p) => p !== sessionLeader)!.ppid).toBe(sessionLeader.pid);
    const orphan = bySession.find((p) => p.ppid !== pid)!;
    expect(orphan.ppid).not.toBe(pid);
    expect(first.processes.every((p) => p.cmdline.startsWith(process.execPath))).toBe(true);
  });

  test("totals are the sums; PSS is read; start times come from boot time and ticks", async () => {
    const boot = await readBootTime();
    expect(first.rssKb).toBe(first.processes.reduce((a, p) => a + p.rssKb, 0));
    expect(first.vsizeKb).toBe(first.processes.reduce((a, p) => a + p.vsizeKb, 0));
    for (const p of first.processes) {
      expect(p.pssKb).not.toBeNull();
      expect(p.pssKb!).toBeLessThanOrEqual(p.rssKb);
      expect(p.startTime).toBeCloseTo(boot + p.startTicks / 100, 5);
      expect(Math.abs(p.startTime - Date.now() / 1000)).toBeLessThan(120);
    }
    expect(toChildrenProcStats(first).children.map((c) => c.stat.pid)).toEqual(first.processes.map((p) => String(p.pid)));
  });

  test("touching 64 MiB in each of the 5 processes shows up in rss within 10 %", async () => {
    // Node keeps growing a little right after start; take the baseline once two samples agree.
    let previous = first;
    const baseline = await waitFor("a settled baseline", async () => {
      const t = (await readProcessTree(root.pid!))!;
      const settled = Math.abs(t.rssKb - previous.rssKb) < 1024;
      previous = t;
      return settled ? t : null;
    });
    const before = new Map(baseline.processes.map((p) => [p.pid, p.rssKb]));
    for (const p of baseline.processes) process.kill(p.pid, "SIGUSR2");
    const expectedKb = MB * 1024 * baseline.processes.length;
    const after = await waitFor("every process to touch its memory", async () => {
      const t = await readProcessTree(root.pid!);
      return t && t.processes.length === 5 && t.processes.every((p) => p.rssKb - before.get(p.pid)! >= 0.9 * MB * 1024) ? t : null;
    });
    const grewKb = after.rssKb - baseline.rssKb;
    expect(grewKb).toBeGreaterThanOrEqual(0.9 * expectedKb);
    expect(grewKb).toBeLessThanOrEqual(1.1 * expectedKb);
    for (const p of after.processes) expect(p.rssKb - before.get(p.pid)!).toBeLessThanOrEqual(1.15 * MB * 1024);
    expect(after.pssKb - baseline.pssKb).toBeGreaterThanOrEqual(0.9 * expectedKb);
  });

  test("start ticks are stable and identify the pid", async () => {
    const pid = root.pid!;
    const a = await readProcessStartTicks(pid);
    const b = await readProcessStartTicks(pid);
    expect(a).not.toBeNull();
    expect(a).toBe(b);
    expect(a).toBe(first.processes[0]!.startTicks);
    expect(await readProcessStartTicks(process.pid)).not.toBe(a);
  });

  test("many trees from one scan, and a root that is not a session leader stays alone", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    spawned.push(child);
    const trees = await readProcessTrees([{ rootPid: root.pid! }, { rootPid: child.pid! }, { rootPid: 2 ** 22 + 1 }]);
    expect(trees.get(root.pid!)?.processes.length).toBeGreaterThanOrEqual(5);
    // sleep shares jest's session, but jest is not part of sleep's tree
    expect(trees.get(child.pid!)?.processes.map((p) => p.pid)).toEqual([child.pid]);
    expect(trees.get(2 ** 22 + 1)).toBeNull();
    child.kill("SIGKILL");
    await exited(child);
  });

  test("cgroupDir adds the pids listed in cgroup.procs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hm-cgroup-"));
    try {
      const child = spawn("sleep", ["30"], { stdio: "ignore" });
      spawned.push(child);
      writeFileSync(join(dir, "cgroup.procs"), `${child.pid}\n`);
      const t = await readProcessTree(root.pid!, { cgroupDir: dir });
      expect(t?.processes.map((p) => p.pid)).toContain(child.pid);
      child.kill("SIGKILL");
      await exited(child);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("pss: false skips smaps_rollup", async () => {
    const t = await createProcessSampler({ pss: false }).readTree(root.pid!);
    expect(t?.processes.every((p) => p.pssKb === null)).toBe(true);
    expect(t?.pssKb).toBe(t?.rssKb);
  });
});

describe("processes that are gone", () => {
  test("a dead pid returns null and has no start ticks", async () => {
    const child = spawn("true", [], { stdio: "ignore" });
    await exited(child);
    expect(alive(child.pid!)).toBe(false);
    expect(await readProcessTree(child.pid!)).toBeNull();
    expect(await readProcessStartTicks(child.pid!)).toBeNull();
  });

  test("a fake /proc with vanished or unreadable entries is skipped, not thrown", async () => {
    const root = mkdtempSync(join(tmpdir(), "hm-proc-"));
    try {
      writeFileSync(join(root, "stat"), "cpu 1 2 3 4\nbtime 1700000000\n");
      const mk = (pid: number, stat: string): void => {
        const d = join(root, String(pid));
        rmSync(d, { recursive: true, force: true });
        require_dir(d);
        writeFileSync(join(d, "stat"), stat);
        writeFileSync(join(d, "cmdline"), `prog\0${pid}\0`);
        writeFileSync(join(d, "status"), "Name:\tprog\nVmSwap:\t12 kB\n");
      };
      const stat = (pid: number, ppid: number, sid: number) =>
        `${pid} (prog) S ${ppid} ${sid} ${sid} 0 -1 0 0 0 0 0 10 5 0 0 20 0 1 0 1000 4096000 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0`;
      mk(500, stat(500, 1, 500));
      mk(501, stat(501, 500, 500));
      mk(502, "garbage");
      require_dir(join(root, "503")); // no files at all: vanished between readdir and read
      const t = await createProcessSampler({ procRoot: root }).readTree(500);
      expect(t?.processes.map((p) => [p.pid, p.cmdline, p.swapKb, p.startTime])).toEqual([
        [500, "prog 500", 12, 1700000010],
        [501, "prog 501", 12, 1700000010],
      ]);
      expect(t?.cpuSeconds).toBeCloseTo(0.3);
      // With no swap configured on the host, nobody can have swap: status is not read.
      writeFileSync(join(root, "meminfo"), "MemTotal: 100 kB\nMemFree: 50 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
      const noSwap = await createProcessSampler({ procRoot: root }).readTree(500);
      expect(noSwap?.processes.map((p) => p.swapKb)).toEqual([0, 0]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

function require_dir(path: string): void {
  mkdirSync(path, { recursive: true });
}
