import { statfs } from "node:fs/promises";
import { arch, hostname, release } from "node:os";
import { HostMonitorParseError } from "../errors.js";
import type { Clock } from "../idle.js";
import { buildCpuTopology, parseCpuInfo, type CpuTopology, type SysfsCpuTopology } from "../parsers/cpuinfo.js";
import { parseLoadavg } from "../parsers/loadavg.js";
import { parseMeminfo } from "../parsers/meminfo.js";
import { parseOsRelease, type OsRelease } from "../parsers/os-release.js";
import type { HostPlatform } from "../platform.js";
import type { CgroupSupport } from "../process-types.js";
import type { GpuInventory } from "../render-host.js";
import { detectCgroupV2 } from "./cgroup.js";
import { readNvidiaGpus, type NvidiaSmiOptions } from "./gpu.js";
import { createDeviceTimesIdleSource, createInterruptsIdleSource, createX11IdleSource, readWhoSessions, type X11IdleSourceOptions } from "./idle-sources.js";
import { createProcessSampler, readBootTime, readProcessStartTicks } from "./process-sampler.js";
import { readProcText } from "./proc-fs.js";

export interface LinuxPlatformOptions {
  /** Default "/proc". */
  procRoot?: string;
  /** Default "/sys". */
  sysRoot?: string;
  /** Defaults: <procRoot>/cpuinfo, meminfo, loadavg. */
  cpuinfoPath?: string;
  meminfoPath?: string;
  loadavgPath?: string;
  /** First readable wins. Default ["/etc/os-release", "/usr/lib/os-release", "/etc/lsb-release"]. */
  osReleasePaths?: string[];
  /** false: never run nvidia-smi. */
  nvidiaSmi?: NvidiaSmiOptions | false;
  /** GPU results are reused this long (nvidia-smi takes 50-500 ms). Default 10 000 ms. */
  gpuCacheMs?: number;
  x11?: X11IdleSourceOptions;
  /** Directories whose event* nodes the device-times idle source watches. Default ["/dev/input"]. */
  inputDirs?: string[];
  /** Default "who". */
  whoBinary?: string;
  clock?: Clock;
}

function readRequired(path: string): string {
  const text = readProcText(path);
  if (text === null) throw new HostMonitorParseError(path, null, "cannot read");
  return text;
}

export function createLinuxPlatform(options: LinuxPlatformOptions = {}): HostPlatform {
  const procRoot = options.procRoot ?? "/proc";
  const sysRoot = options.sysRoot ?? "/sys";
  const clock = options.clock ?? Date.now;
  let topology: CpuTopology | null = null;
  let gpuCache: { at: number; value: GpuInventory } | null = null;
  // The probe creates and removes a directory; its answer does not change while we run.
  let cgroup: Promise<CgroupSupport> | null = null;

  function readSysfsTopology(processors: number[]): Map<number, SysfsCpuTopology> {
    const out = new Map<number, SysfsCpuTopology>();
    for (const cpu of processors) {
      const dir = `${sysRoot}/devices/system/cpu/cpu${cpu}/topology`;
      const pkg = Number(readProcText(`${dir}/physical_package_id`)?.trim() ?? NaN);
      const core = Number(readProcText(`${dir}/core_id`)?.trim() ?? NaN);
      if (Number.isInteger(pkg) && pkg >= 0 && Number.isInteger(core) && core >= 0) out.set(cpu, { packageId: pkg, coreId: core });
    }
    return out;
  }

  return {
    name: "linux",
    readHostname: async () => hostname(),
    async readCpuTopology() {
      // Topology is fixed for the life of the process (upstream parses it once at startup too).
      if (!topology) {
        const file = options.cpuinfoPath ?? `${procRoot}/cpuinfo`;
        const entries = parseCpuInfo(readRequired(file), file);
        const missing = entries.filter((e) => e.physicalId === null).map((e) => e.processor);
        topology = buildCpuTopology(entries, missing.length > 0 ? readSysfsTopology(missing) : new Map());
      }
      return topology;
    },
    async readMemory() {
      const file = options.meminfoPath ?? `${procRoot}/meminfo`;
      return parseMeminfo(readRequired(file), file);
    },
    async readLoadAverage() {
      const file = options.loadavgPath ?? `${procRoot}/loadavg`;
      return parseLoadavg(readRequired(file), file);
    },
    readBootTime: () => readBootTime(procRoot),
    async readOsFacts() {
      let distro: OsRelease | null = null;
      for (const path of options.osReleasePaths ?? ["/etc/os-release", "/usr/lib/os-release", "/etc/lsb-release"]) {
        const text = readProcText(path);
        if (text === null || text.trim() === "") continue;
        distro = parseOsRelease(text, path);
        break;
      }
      return { platform: "linux", kernelRelease: release(), arch: arch(), distro };
    },
    async readDiskSpace(path) {
      const s = await statfs(path);
      return { path, totalKb: Math.floor((s.blocks * s.bsize) / 1024), freeKb: Math.floor((s.bavail * s.bsize) / 1024) };
    },
    async readGpus() {
      if (options.nvidiaSmi === false) return { devices: [], error: null };
      const now = clock();
      if (gpuCache && now - gpuCache.at < (options.gpuCacheMs ?? 10_000)) return gpuCache.value;
      const value = await readNvidiaGpus(options.nvidiaSmi ?? {});
      gpuCache = { at: now, value };
      return value;
    },
    detectCgroupV2: () => (cgroup ??= detectCgroupV2({ procRoot })),
    createProcessSampler: (samplerOptions = {}) => createProcessSampler({ ...samplerOptions, procRoot }),
    readProcessStartTicks: (pid) => readProcessStartTicks(pid, procRoot),
    readLoginSessions: () => readWhoSessions(options.whoBinary ?? "who"),
    idleSources: (idleClock) => [
      createX11IdleSource(options.x11 ?? {}),
      createDeviceTimesIdleSource({ clock: idleClock, inputDirs: options.inputDirs ?? ["/dev/input"] }),
      createInterruptsIdleSource({ procRoot, clock: idleClock }),
    ],
  };
}
