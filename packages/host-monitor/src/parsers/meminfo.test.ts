import { HostMonitorParseError } from "../errors.js";
import { fixture } from "../test-support/fixtures.js";
import { parseLoadavg } from "./loadavg.js";
import { parseMeminfo } from "./meminfo.js";

describe("parseMeminfo", () => {
  test("modern kernel without swap (real file)", () => {
    const m = parseMeminfo(fixture("proc/meminfo-debian12-noswap.txt"));
    expect(m).toMatchObject({ memTotalKb: 24683620, memFreeKb: 24352216, memAvailableKb: 24343396, cachedKb: 174964, swapTotalKb: 0, swapFreeKb: 0 });
    expect(m.all["Hugepagesize"]).toBe(2048);
  });

  test("render node with swap", () => {
    const m = parseMeminfo(fixture("proc/meminfo-rocky9-swap.txt"));
    expect(m).toMatchObject({ memTotalKb: 263576484, memAvailableKb: 201133260, swapTotalKb: 16777212, swapFreeKb: 15924348 });
  });

  test("kernels before 3.14 have no MemAvailable: estimated from free, buffers, cache and reclaimable slab", () => {
    const m = parseMeminfo(fixture("proc/meminfo-centos6-no-available.txt"));
    expect(m.memAvailableKb).toBe(5339060 + 412736 + 20360116 + 988624 - 29720);
    expect(m.swapFreeKb).toBe(4105212);
  });

  test("malformed value and missing MemTotal are typed errors naming the file", () => {
    expect(() => parseMeminfo(fixture("proc/meminfo-malformed.txt"), "/proc/meminfo")).toThrow("/proc/meminfo:2: MemFree");
    expect(() => parseMeminfo("MemFree: 1 kB\n")).toThrow(HostMonitorParseError);
  });
});

describe("parseLoadavg", () => {
  test("fields", () => {
    expect(parseLoadavg(fixture("proc/loadavg.txt"))).toEqual({ load1: 4, load5: 4.12, load15: 4.95, runnable: 2, total: 312 });
  });
  test("too few or bad values", () => {
    expect(() => parseLoadavg("")).toThrow(HostMonitorParseError);
    expect(() => parseLoadavg("invalid format")).toThrow(/loadavg:1/);
  });
});
