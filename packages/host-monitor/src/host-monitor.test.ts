import { tmpdir } from "node:os";
import { createHostMonitor, createHostPlatform } from "./host-monitor.js";
import { createLinuxPlatform } from "./linux/linux-platform.js";
import { buildCpuTopology, parseCpuInfo } from "./parsers/cpuinfo.js";
import { parseLoadavg } from "./parsers/loadavg.js";
import { parseMeminfo } from "./parsers/meminfo.js";
import { parseNvidiaSmiQuery } from "./parsers/nvidia-smi.js";
import { parseOsRelease } from "./parsers/os-release.js";
import { buildCoreDetail, buildRenderHost, deriveHostTags, HardwareState, shortHostname, type HostFacts } from "./render-host.js";
import { fixture, fixturePath } from "./test-support/fixtures.js";
import { createScriptDir } from "./test-support/scripts.js";

const bin = createScriptDir();
afterAll(() => bin.cleanup());

function facts(over: Partial<HostFacts> = {}): HostFacts {
  return {
    hostname: "render042.lax.example.com",
    topology: buildCpuTopology(parseCpuInfo(fixture("cpuinfo/two-socket-8c-ht.txt"))),
    memory: parseMeminfo(fixture("proc/meminfo-rocky9-swap.txt")),
    load: parseLoadavg("20.38 10.00 5.00 3/900 1234"),
    bootTime: 1720194269,
    os: { platform: "linux", kernelRelease: "5.14.0-427.el9.x86_64", arch: "x64", distro: parseOsRelease(fixture("os-release/rocky9.txt")) },
    tempDir: { path: "/tmp", totalKb: 500_000_000, freeKb: 400_000_000 },
    gpus: { devices: parseNvidiaSmiQuery(fixture("nvidia-smi/eight-gpus.txt")), error: null },
    cgroup: { usable: false, root: null, reason: "test", controllers: [] },
    sampledAt: 0,
    ...over,
  };
}

describe("buildRenderHost", () => {
  test("fields and units of report.RenderHost", () => {
    expect(buildRenderHost(facts(), { facility: "lax" })).toEqual({
      name: "render042",
      nimbyEnabled: false,
      nimbyLocked: false,
      facility: "lax",
      numProcs: 2,
      coresPerProc: 800,
      totalSwap: 16777212n,
      totalMem: 263576484n,
      totalMcp: 500000000n,
      freeSwap: 15924348n,
      freeMem: 201133260n,
      freeMcp: 400000000n,
      load: 1019, // round(20.38 × 100) / 2 threads per core, as upstream's test expects
      bootTime: 1720194269,
      tags: [],
      state: HardwareState.UP,
      attributes: { SP_OS: "rocky", hyperthreadingMultiplier: "2" },
      numGpus: 8,
      freeGpuMem: BigInt((7 * 81555 + 5059) * 1024),
      totalGpuMem: BigInt(8 * 81559 * 1024),
    });
  });

  test("overrides: name, memory (free rebased), cores, sockets, OS; state and NIMBY from the caller", () => {
    const h = buildRenderHost(
      facts(),
      { hostnameOverride: "myhost", overrides: { memoryKb: 100_000_000, coresPerSocket: 4, sockets: 1, os: "CentOS" }, nimbyEnabled: true },
      { nimbyLocked: true, state: HardwareState.REPAIR },
    );
    expect(h).toMatchObject({ name: "myhost", totalMem: 100000000n, freeMem: BigInt(100_000_000 - (263576484 - 201133260)), coresPerProc: 400, numProcs: 1, nimbyEnabled: true, nimbyLocked: true, state: 4 });
    expect(h.attributes["SP_OS"]).toBe("CentOS");
  });

  test("hybrid CPU: cores per proc counts physical cores and load is per physical core", () => {
    const h = buildRenderHost(facts({ topology: buildCpuTopology(parseCpuInfo(fixture("cpuinfo/hybrid-i7-12700.txt"))), load: parseLoadavg("6.00 1 1 1/1 1") }));
    expect(h.coresPerProc).toBe(1200);
    expect(h.load).toBe(360); // 600 / (20 threads / 12 cores)
  });

  test("no distro file: SP_OS is linux; no GPUs: zeros", () => {
    const h = buildRenderHost(facts({ os: { platform: "linux", kernelRelease: "6.1", arch: "x64", distro: null }, gpus: { devices: [], error: null } }));
    expect(h.attributes["SP_OS"]).toBe("linux");
    expect([h.numGpus, h.totalGpuMem, h.freeGpuMem]).toEqual([0, 0n, 0n]);
  });

  test("tags as the upstream RQDs derive them", () => {
    const os = facts().os;
    expect(deriveHostTags({ workstationMode: true, customTags: ["general", " ", "gpu", "general"] }, os)).toEqual(["desktop", "general", "gpu"]);
    expect(deriveHostTags({ rqdVersion: "0.1.0", platformTags: true }, os)).toEqual(["rqdv-0.1.0", "64bit", "5.14.0-427.el9.x86_64"]);
    expect(shortHostname("10.1.2.3")).toBe("10.1.2.3");
  });
});

describe("buildCoreDetail", () => {
  const topo = buildCpuTopology(parseCpuInfo(fixture("cpuinfo/two-socket-8c-ht.txt")));
  test("physical cores × 100", () => {
    expect(buildCoreDetail(topo)).toEqual({ totalCores: 1600, idleCores: 1600, lockedCores: 0, bookedCores: 0, reservedCores: {} });
    expect(buildCoreDetail(topo, { bookedCores: 3, lockedCores: 10 })).toMatchObject({ idleCores: 600, lockedCores: 1000, bookedCores: 300 });
    expect(buildCoreDetail(topo, { lockedCores: 99 })).toMatchObject({ idleCores: 0, lockedCores: 1600 });
  });
});

describe("createHostMonitor over a Linux platform fed with fixture files", () => {
  test("RenderHost and CoreDetail end to end, GPUs through a real nvidia-smi stand-in", async () => {
    const smi = bin.script("nvidia-smi", `cat ${fixturePath("nvidia-smi/one-gpu.txt")}`);
    const platform = createLinuxPlatform({
      cpuinfoPath: fixturePath("cpuinfo/four-socket-12c.txt"),
      meminfoPath: fixturePath("proc/meminfo-centos6-no-available.txt"),
      loadavgPath: fixturePath("proc/loadavg.txt"),
      osReleasePaths: [fixturePath("os-release/missing.txt"), fixturePath("os-release/centos7.txt")],
      nvidiaSmi: { binary: smi },
    });
    const monitor = createHostMonitor({ platform, tempDir: tmpdir(), customTags: ["lighting"], workstationMode: true, hostnameOverride: "fixturehost" });
    const host = await monitor.readRenderHost();
    expect(host).toMatchObject({ name: "fixturehost", numProcs: 4, coresPerProc: 1200, load: 400, totalMem: 132119544n, numGpus: 1, totalGpuMem: 49140n * 1024n, tags: ["desktop", "lighting"] });
    expect(host.attributes).toEqual({ SP_OS: "centos", hyperthreadingMultiplier: "1" });
    expect(host.totalMcp).toBeGreaterThan(0n);
    expect(await monitor.readCoreDetail({ bookedCores: 2 })).toMatchObject({ totalCores: 4800, bookedCores: 200, idleCores: 4600 });
  });

  test("this host, through the default platform", async () => {
    const monitor = createHostMonitor({ platform: createHostPlatform({ nvidiaSmi: false }) });
    const f = await monitor.readHostFacts();
    expect(f.topology.logicalCpus).toBeGreaterThan(0);
    expect(f.memory.memTotalKb).toBeGreaterThan(f.memory.memAvailableKb);
    const host = buildRenderHost(f);
    expect(host.totalMem).toBe(BigInt(f.memory.memTotalKb));
    expect(host.bootTime).toBeGreaterThan(1_500_000_000);
    expect(host.name).not.toContain(".");
  });

  test("unsupported platforms say so", () => {
    expect(() => createHostPlatform({}, "darwin")).toThrow(/no HostPlatform for "darwin"/);
  });
});
