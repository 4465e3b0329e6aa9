import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectCgroupV2 } from "./cgroup.js";

const scratch = mkdtempSync(join(tmpdir(), "hm-cg-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fakeProc(name: string, mountinfo: string, cgroup: string): string {
  const proc = join(scratch, name);
  mkdirSync(join(proc, "self"), { recursive: true });
  writeFileSync(join(proc, "self", "mountinfo"), mountinfo);
  writeFileSync(join(proc, "self", "cgroup"), cgroup);
  return proc;
}

describe("detectCgroupV2", () => {
  test("cgroup2 mounted and our cgroup writable: usable, root is our cgroup dir, probe dir removed", async () => {
    const mount = join(scratch, "cg2");
    const own = join(mount, "system.slice", "rqd.service");
    mkdirSync(own, { recursive: true });
    writeFileSync(join(own, "cgroup.subtree_control"), "cpu memory pids\n");
    const proc = fakeProc("ok", `40 30 0:37 / ${mount} rw,relatime - cgroup2 cgroup2 rw\n`, "0::/system.slice/rqd.service\n");
    const r = await detectCgroupV2({ procRoot: proc });
    expect(r).toMatchObject({ usable: true, root: own, controllers: ["cpu", "memory", "pids"] });
    expect(r.reason).toContain("memory");
    expect(readdirSync(own)).toEqual(["cgroup.subtree_control"]);
  });

  test("cgroup v1 only: not usable, with the reason", async () => {
    const proc = fakeProc("v1", "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n", "4:memory:/x\n");
    expect(await detectCgroupV2({ procRoot: proc })).toEqual({ usable: false, root: null, reason: "no cgroup2 filesystem is mounted", controllers: [] });
  });

  test("our cgroup directory is missing: not usable", async () => {
    const proc = fakeProc("gone", `40 30 0:37 / ${join(scratch, "nowhere")} rw - cgroup2 cgroup2 rw\n`, "0::/a\n");
    const r = await detectCgroupV2({ procRoot: proc });
    expect(r.usable).toBe(false);
    expect(r.reason).toContain("not readable");
  });

  test("this machine: a consistent answer (root exists when usable)", async () => {
    const r = await detectCgroupV2();
    expect(typeof r.reason).toBe("string");
    expect(r.reason.length).toBeGreaterThan(0);
    if (r.usable) expect(statSync(r.root!).isDirectory()).toBe(true);
    else expect(r.root).toBeNull();
    if (r.root) expect(readdirSync(r.root).some((n) => n.startsWith(`opencue-probe-${process.pid}-`))).toBe(false);
    expect(existsSync("/proc/self/cgroup")).toBe(true);
  });
});
