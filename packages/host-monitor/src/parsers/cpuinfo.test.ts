import { HostMonitorParseError } from "../errors.js";
import { fixture } from "../test-support/fixtures.js";
import { buildCpuTopology, parseCpuInfo } from "./cpuinfo.js";

const topo = (name: string) => buildCpuTopology(parseCpuInfo(fixture(`cpuinfo/${name}`)));

describe("parseCpuInfo + buildCpuTopology", () => {
  test("one socket, four cores, no hyperthreading", () => {
    const t = topo("one-socket-4c-noht.txt");
    expect(t).toMatchObject({ logicalCpus: 4, sockets: 1, physicalCores: 4, coresPerSocket: 4, hyperthreadingMultiplier: 1, threadsPerCore: 1, hybrid: false });
    expect(t.modelName).toBe("Intel(R) Core(TM) i5-6500 CPU @ 3.20GHz");
    expect(t.cores.map((c) => c.threadIds)).toEqual([[0], [1], [2], [3]]);
  });

  test("two sockets with hyperthreading pair thread n with n+16 on the same core", () => {
    const t = topo("two-socket-8c-ht.txt");
    expect(t).toMatchObject({ logicalCpus: 32, sockets: 2, physicalCores: 16, coresPerSocket: 8, hyperthreadingMultiplier: 2, threadsPerCore: 2, hybrid: false });
    expect(t.cores[0]).toEqual({ socket: 0, coreId: 0, threadIds: [0, 16] });
    expect(t.cores[8]).toEqual({ socket: 1, coreId: 0, threadIds: [8, 24] });
    expect(t.cores.flatMap((c) => c.threadIds).sort((a, b) => a - b)).toEqual([...Array(32).keys()]);
  });

  test("four sockets with non-contiguous core ids", () => {
    const t = topo("four-socket-12c.txt");
    expect(t).toMatchObject({ logicalCpus: 48, sockets: 4, physicalCores: 48, coresPerSocket: 12, hyperthreadingMultiplier: 1 });
    expect(t.cores.filter((c) => c.socket === 3).map((c) => c.coreId)).toEqual([0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13]);
  });

  test("hybrid P/E-core Intel: 8 two-thread P-cores and 4 one-thread E-cores are 12 cores, not 20", () => {
    const t = topo("hybrid-i7-12700.txt");
    expect(t).toMatchObject({ logicalCpus: 20, sockets: 1, physicalCores: 12, coresPerSocket: 12, hyperthreadingMultiplier: 2, hybrid: true });
    expect(t.threadsPerCore).toBeCloseTo(20 / 12);
    expect(t.cores[0]).toEqual({ socket: 0, coreId: 0, threadIds: [0, 1] });
    expect(t.cores.slice(8)).toEqual([32, 33, 34, 35].map((coreId, i) => ({ socket: 0, coreId, threadIds: [16 + i] })));
  });

  test("ARM without physical id: one socket with a core per processor, or sysfs topology when given", () => {
    const entries = parseCpuInfo(fixture("cpuinfo/arm-neoverse-n1-8c.txt"));
    expect(entries.every((e) => e.physicalId === null && e.coreId === null)).toBe(true);
    expect(buildCpuTopology(entries)).toMatchObject({ logicalCpus: 8, sockets: 1, physicalCores: 8, coresPerSocket: 8, hyperthreadingMultiplier: 1 });
    const sysfs = new Map(entries.map((e) => [e.processor, { packageId: e.processor < 4 ? 0 : 1, coreId: e.processor % 4 }]));
    expect(buildCpuTopology(entries, sysfs)).toMatchObject({ sockets: 2, physicalCores: 8, coresPerSocket: 4 });
  });

  test("Raspberry Pi: the trailing Hardware block is not a CPU", () => {
    const t = topo("arm-raspberry-pi4.txt");
    expect(t).toMatchObject({ logicalCpus: 4, sockets: 1, physicalCores: 4 });
  });

  test("this kind of cloud VM (AMD EPYC, 2 vCPUs, real file)", () => {
    expect(topo("amd-epyc-vm-2c.txt")).toMatchObject({ logicalCpus: 2, sockets: 1, physicalCores: 2, hyperthreadingMultiplier: 1 });
  });

  test("a malformed processor number names the file and line", () => {
    let caught: unknown;
    try {
      parseCpuInfo(fixture("cpuinfo/malformed-processor.txt"), "/fixtures/cpuinfo");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HostMonitorParseError);
    expect(caught).toMatchObject({ file: "/fixtures/cpuinfo", line: 29 });
    expect(String((caught as Error).message)).toContain("/fixtures/cpuinfo:29");
  });

  test("empty input and zero cpu cores are errors", () => {
    expect(() => parseCpuInfo("")).toThrow(HostMonitorParseError);
    expect(() => parseCpuInfo("processor : 0\ncpu cores : 0\n")).toThrow(/cpu cores: 0/);
    expect(() => parseCpuInfo("processor : 0\n\nprocessor : 0\n")).toThrow(/duplicate processor 0/);
  });
});
