import { HostMonitorParseError } from "../errors.js";
import { fixture } from "../test-support/fixtures.js";
import { parseControllerList, parseMountInfo, parseProcCgroup } from "./cgroup.js";
import { parseInterrupts, sumInputInterrupts } from "./interrupts.js";
import { parseNvidiaSmiQuery, sumGpus } from "./nvidia-smi.js";
import { parseOsRelease } from "./os-release.js";
import { interactiveUsers, parseWho, parseXprintidle } from "./who.js";

describe("nvidia-smi query output", () => {
  test("zero GPUs", () => {
    expect(parseNvidiaSmiQuery(fixture("nvidia-smi/zero-gpus.txt"))).toEqual([]);
    expect(parseNvidiaSmiQuery("")).toEqual([]);
  });
  test("one GPU, MiB converted to KiB", () => {
    expect(parseNvidiaSmiQuery(fixture("nvidia-smi/one-gpu.txt"))).toEqual([
      { index: 0, uuid: "GPU-5f4a3c2e-1b7d-4e8f-9a06-2c3d4e5f6a7b", name: "NVIDIA RTX A6000", pciBusId: "00000000:65:00.0", totalMemoryKb: 49140 * 1024, usedMemoryKb: 1127 * 1024, freeMemoryKb: 47571 * 1024 },
    ]);
  });
  test("eight GPUs, one of them busy", () => {
    const gpus = parseNvidiaSmiQuery(fixture("nvidia-smi/eight-gpus.txt"));
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(gpus.map((g) => g.uuid)).size).toBe(8);
    expect(sumGpus(gpus)).toEqual({ numGpus: 8, totalGpuMemKb: 8 * 81559 * 1024, freeGpuMemKb: (7 * 81555 + 5059) * 1024 });
  });
  test("[N/A] memory (MIG) counts as 0, wrong column count is a typed error", () => {
    expect(parseNvidiaSmiQuery(fixture("nvidia-smi/mig-na.txt"))[0]).toMatchObject({ totalMemoryKb: 0, freeMemoryKb: 0 });
    expect(() => parseNvidiaSmiQuery(fixture("nvidia-smi/wrong-columns.txt"), "nvidia-smi")).toThrow("nvidia-smi:1: expected 7 columns");
  });
});

describe("os-release", () => {
  test.each([
    ["debian12.txt", "debian", "12", "Debian GNU/Linux 12 (bookworm)"],
    ["ubuntu2204.txt", "ubuntu", "22.04", "Ubuntu 22.04.4 LTS"],
    ["rocky9.txt", "rocky", "9.4", "Rocky Linux 9.4 (Blue Onyx)"],
    ["centos7.txt", "centos", "7", "CentOS Linux 7 (Core)"],
    ["alpine320.txt", "alpine", "3.20.3", "Alpine Linux v3.20"],
    ["lsb-release-ubuntu.txt", "Ubuntu", "20.04", "Ubuntu 20.04.6 LTS"],
  ])("%s", (file, id, versionId, prettyName) => {
    expect(parseOsRelease(fixture(`os-release/${file}`))).toMatchObject({ id, versionId, prettyName });
  });
  test("ID_LIKE list", () => {
    expect(parseOsRelease(fixture("os-release/rocky9.txt")).idLike).toEqual(["rhel", "centos", "fedora"]);
  });
  test("malformed line and empty file are typed errors", () => {
    expect(() => parseOsRelease(fixture("os-release/malformed.txt"), "/etc/os-release")).toThrow("/etc/os-release:2");
    expect(() => parseOsRelease("\n")).toThrow(HostMonitorParseError);
  });
});

describe("interrupts", () => {
  test("desktop: PS/2 keyboard and mouse plus the USB controller", () => {
    const lines = parseInterrupts(fixture("proc/interrupts-desktop.txt"));
    expect(lines.find((l) => l.irq === "12")).toMatchObject({ count: 9120, description: "IR-IO-APIC 12-edge i8042" });
    expect(sumInputInterrupts(lines)).toEqual({ count: 4711 + 9120 + 88311, matched: 3 });
  });
  test("headless VM: no input lines", () => {
    expect(sumInputInterrupts(parseInterrupts(fixture("proc/interrupts-server.txt")))).toEqual({ count: 0, matched: 0 });
  });
  test("no header", () => {
    expect(() => parseInterrupts("  1: 2 3\n")).toThrow(/no CPU header/);
  });
});

describe("who / xprintidle", () => {
  test("desktop sessions are classified; remote ones do not count as interactive", () => {
    const sessions = parseWho(fixture("who/desktop.txt"));
    expect(sessions.map((s) => [s.user, s.kind])).toEqual([
      ["alice", "display"], ["alice", "display"], ["bob", "remote"], ["carol", "console"], ["dave", "display"],
    ]);
    expect(interactiveUsers(sessions)).toEqual(["alice", "carol", "dave"]);
  });
  test("server with only ssh logins", () => {
    expect(interactiveUsers(parseWho(fixture("who/server.txt")))).toEqual([]);
  });
  test("xprintidle milliseconds", () => {
    expect(parseXprintidle("123456\n")).toBe(123.456);
    expect(parseXprintidle("couldn't open display")).toBeNull();
  });
});

describe("cgroup files", () => {
  test("mountinfo finds the cgroup2 mount, octal escapes undone", () => {
    const text = [
      "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
      "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate",
      "41 22 0:38 / /mnt/with\\040space rw - ext4 /dev/sda1 rw",
    ].join("\n");
    const mounts = parseMountInfo(text);
    expect(mounts.find((m) => m.fsType === "cgroup2")).toMatchObject({ mountPoint: "/sys/fs/cgroup/unified", root: "/" });
    expect(mounts[2]?.mountPoint).toBe("/mnt/with space");
    expect(() => parseMountInfo("1 2 3\n", "mi")).toThrow("mi:1");
  });
  test("/proc/self/cgroup hybrid and pure v2", () => {
    expect(parseProcCgroup("4:memory:/a/b\n0::/user.slice/x.scope\n")).toEqual({ v2Path: "/user.slice/x.scope", v1: [{ id: 4, controllers: ["memory"], path: "/a/b" }] });
    expect(parseProcCgroup("0::/\n").v2Path).toBe("/");
    expect(parseControllerList("cpu memory  pids\n")).toEqual(["cpu", "memory", "pids"]);
  });
});
