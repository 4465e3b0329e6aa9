import { HostMonitorParseError } from "../errors.js";
import { fixture } from "../test-support/fixtures.js";
import { parsePidStat } from "./pid-stat.js";
import { parsePidStatus } from "./pid-status.js";
import { parseProcStat } from "./proc-stat.js";
import { parseSmapsRollup } from "./smaps-rollup.js";
import { parseStatm } from "./statm.js";

describe("/proc/PID/stat", () => {
  test("real sleep process", () => {
    const s = parsePidStat(fixture("proc/stat-pid-sleep.txt"));
    expect(s).toMatchObject({ pid: 7268, comm: "sleep", state: "S", ppid: 7267, pgid: 7265, sid: 3293, startTicks: 101121, vsizeBytes: 2990080, rssPages: 379 });
  });

  test("a command name with spaces and parentheses does not shift the fields", () => {
    const s = parsePidStat(fixture("proc/stat-pid-render-parens.txt"));
    expect(s).toEqual({
      pid: 31007, comm: "maya (render) 2", state: "S", ppid: 31001, pgid: 31001, sid: 31001,
      utimeTicks: 912345, stimeTicks: 4321, cutimeTicks: 77, cstimeTicks: 11, numThreads: 48,
      startTicks: 17385159, vsizeBytes: 17861967872, rssPages: 3145728,
    });
  });

  test("truncated lines are typed errors", () => {
    expect(() => parsePidStat("12 (x) S 1 2", "/proc/12/stat")).toThrow("/proc/12/stat:1");
    expect(() => parsePidStat("garbage")).toThrow(HostMonitorParseError);
  });
});

describe("/proc/PID/status", () => {
  test("user process", () => {
    expect(parsePidStatus(fixture("proc/status-sleep.txt"))).toMatchObject({ name: "sleep", state: "S", vmRssKb: 1728, vmSizeKb: 2920, vmHwmKb: 1728, vmSwapKb: 0, threads: 1 });
  });
  test("kernel thread has no Vm lines: zeros", () => {
    expect(parsePidStatus(fixture("proc/status-kthreadd.txt"))).toMatchObject({ name: "kthreadd", vmRssKb: 0, vmSwapKb: 0, ppid: 0 });
  });
  test("bad kB value names the line", () => {
    expect(() => parsePidStatus("Name:\tx\nVmSwap:\tmany kB\n", "/proc/9/status")).toThrow("/proc/9/status:2: VmSwap");
  });
});

describe("/proc/PID/statm", () => {
  test("pages", () => {
    expect(parseStatm(fixture("proc/statm-sleep.txt"))).toMatchObject({ sizePages: 730, residentPages: 432, sharedPages: 406 });
    expect(parseStatm(fixture("proc/statm-python-test.txt"))).toMatchObject({ sizePages: 152510, residentPages: 14585 });
  });
  test("malformed", () => {
    expect(() => parseStatm("1 2 x", "/proc/1/statm")).toThrow("/proc/1/statm:1");
  });
});

describe("/proc/PID/smaps_rollup", () => {
  test("large render process with swap", () => {
    expect(parseSmapsRollup(fixture("proc/smaps_rollup-render.txt"))).toMatchObject({ rssKb: 12582912, pssKb: 12406534, pssAnonKb: 12288000, swapKb: 524288, privateDirtyKb: 12301520 });
  });
  test("4.14-era kernel without Pss_Anon", () => {
    expect(parseSmapsRollup(fixture("proc/smaps_rollup-kernel414.txt"))).toMatchObject({ rssKb: 3816, pssKb: 1024, pssAnonKb: null, swapKb: 64 });
  });
  test("real small process: PSS below RSS because libc pages are shared", () => {
    const r = parseSmapsRollup(fixture("proc/smaps_rollup-sleep.txt"))!;
    expect(r.rssKb).toBe(1728);
    expect(r.pssKb).toBe(284);
  });
  test("kernel thread: empty file is no PSS", () => {
    expect(parseSmapsRollup(fixture("proc/smaps_rollup-kthread.txt"))).toBeNull();
  });
  test("malformed value names the line", () => {
    expect(() => parseSmapsRollup("0-1 ---p 0 0:0 0 [rollup]\nRss: 1 kB\nPss: x kB\n", "f")).toThrow("f:3: Pss");
  });
});

describe("/proc/stat", () => {
  test("boot time and cpu line", () => {
    expect(parseProcStat(fixture("proc/stat-centos-fixture.txt")).bootTime).toBe(1720194269);
    const vm = parseProcStat(fixture("proc/stat-vm.txt"));
    expect(vm.bootTime).toBe(1795482075);
    expect(vm.cpu.user).toBeGreaterThan(0);
  });
  test("no btime is a typed error naming the file", () => {
    expect(() => parseProcStat(fixture("proc/stat-no-btime.txt"), "/proc/stat")).toThrow("/proc/stat: no btime line");
  });
});
