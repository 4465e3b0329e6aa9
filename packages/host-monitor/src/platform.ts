import type { Clock, IdleSource } from "./idle.js";
import type { ProcessSampler, ProcessSamplerOptions } from "./linux/process-sampler.js";
import type { CpuTopology } from "./parsers/cpuinfo.js";
import type { LoadAverage } from "./parsers/loadavg.js";
import type { MemInfo } from "./parsers/meminfo.js";
import type { LoginSession } from "./parsers/who.js";
import type { CgroupSupport } from "./process-types.js";
import type { DiskSpace, GpuInventory, OsFacts } from "./render-host.js";

/**
 * Everything OS-specific behind one interface: callers (createHostMonitor, the agent) never touch
 * /proc themselves, so a macOS or Windows implementation slots in without changing them.
 * Memory in kB, times in epoch seconds.
 */
export interface HostPlatform {
  readonly name: string;
  readHostname(): Promise<string>;
  readCpuTopology(): Promise<CpuTopology>;
  readMemory(): Promise<MemInfo>;
  readLoadAverage(): Promise<LoadAverage>;
  readBootTime(): Promise<number>;
  readOsFacts(): Promise<OsFacts>;
  readDiskSpace(path: string): Promise<DiskSpace>;
  readGpus(): Promise<GpuInventory>;
  detectCgroupV2(): Promise<CgroupSupport>;
  createProcessSampler(options?: Omit<ProcessSamplerOptions, "procRoot">): ProcessSampler;
  readProcessStartTicks(pid: number): Promise<number | null>;
  readLoginSessions(): Promise<LoginSession[]>;
  /** The idle sources that make sense on this OS, in order of preference. */
  idleSources(clock: Clock): IdleSource[];
}
