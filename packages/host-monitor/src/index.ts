// Contract with @opencue-ts/frame-runner (see README "Process trees").
export { CLOCK_TICKS } from "./clock-ticks.js";
export type { ChildProcStatsLike, CgroupSupport, ProcessSample, ProcessTreeOptions, ProcessTreeSample } from "./process-types.js";
export { toChildrenProcStats, formatLocalTimestamp } from "./children-stats.js";
export {
  createProcessSampler,
  readBootTime,
  readProcessStartTicks,
  readProcessTree,
  readProcessTrees,
  type ProcessSampler,
  type ProcessSamplerOptions,
  type ProcessTreeRequest,
} from "./linux/process-sampler.js";
export { detectCgroupV2, type DetectCgroupOptions } from "./linux/cgroup.js";

// Errors.
export { HostMonitorParseError, isHostMonitorParseError } from "./errors.js";

// Host facts, RenderHost / CoreDetail.
export { createHostMonitor, createHostPlatform, type HostMonitor, type HostMonitorOptions } from "./host-monitor.js";
export type { HostPlatform } from "./platform.js";
export { createLinuxPlatform, type LinuxPlatformOptions } from "./linux/linux-platform.js";
export {
  HardwareState,
  buildCoreDetail,
  buildRenderHost,
  deriveHostTags,
  shortHostname,
  spOs,
  type CoreDetailLike,
  type DiskSpace,
  type GpuInventory,
  type HostFacts,
  type OsFacts,
  type RenderHostConfig,
  type RenderHostLike,
  type RenderHostState,
} from "./render-host.js";
export { readNvidiaGpus, type NvidiaSmiOptions } from "./linux/gpu.js";
export { runCommand, type CommandResult, type RunCommandOptions } from "./linux/run-command.js";

// Frame usage over time.
export { createFrameUsageTracker, type FrameUsage, type FrameUsageTracker } from "./frame-usage.js";
export { selectProcessTree, indexChildren, type ProcessLink } from "./process-tree-select.js";

// NIMBY idle detection.
export { createIdleDetector, type Clock, type IdleDetector, type IdleDetectorOptions, type IdleSample, type IdleSource } from "./idle.js";
export {
  createDeviceTimesIdleSource,
  createInterruptsIdleSource,
  createX11IdleSource,
  readWhoSessions,
  type DeviceTimesIdleSourceOptions,
  type InterruptsIdleSourceOptions,
  type X11IdleSourceOptions,
} from "./linux/idle-sources.js";

// Pure parsers (text in, values out).
export { parseCpuInfo, buildCpuTopology, type CpuInfoEntry, type CpuTopology, type PhysicalCore, type SysfsCpuTopology } from "./parsers/cpuinfo.js";
export { parseMeminfo, type MemInfo } from "./parsers/meminfo.js";
export { parseLoadavg, type LoadAverage } from "./parsers/loadavg.js";
export { parseOsRelease, type OsRelease } from "./parsers/os-release.js";
export { parseNvidiaSmiQuery, sumGpus, NVIDIA_SMI_QUERY_FIELDS, type GpuDevice, type GpuTotals } from "./parsers/nvidia-smi.js";
export { parseInterrupts, sumInputInterrupts, DEFAULT_INPUT_IRQ_PATTERN, type InterruptLine } from "./parsers/interrupts.js";
export { parseWho, interactiveUsers, parseXprintidle, type LoginSession } from "./parsers/who.js";
export { parsePidStat, type PidStat } from "./parsers/pid-stat.js";
export { parsePidStatus, type PidStatus } from "./parsers/pid-status.js";
export { parseSmapsRollup, type SmapsRollup } from "./parsers/smaps-rollup.js";
export { parseStatm, type Statm } from "./parsers/statm.js";
export { parseProcStat, type ProcStat } from "./parsers/proc-stat.js";
export { parseMountInfo, parseProcCgroup, parseControllerList, type MountInfoEntry, type CgroupMembership } from "./parsers/cgroup.js";
