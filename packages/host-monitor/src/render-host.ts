import type { CgroupSupport } from "./process-types.js";
import type { CpuTopology } from "./parsers/cpuinfo.js";
import type { LoadAverage } from "./parsers/loadavg.js";
import type { MemInfo } from "./parsers/meminfo.js";
import type { GpuDevice } from "./parsers/nvidia-smi.js";
import type { OsRelease } from "./parsers/os-release.js";

/** host.HardwareState values (wire enum numbers). */
export const HardwareState = { UP: 0, DOWN: 1, REBOOTING: 2, REBOOT_WHEN_IDLE: 3, REPAIR: 4 } as const;
export type HardwareState = (typeof HardwareState)[keyof typeof HardwareState];

export interface OsFacts {
  /** process.platform, e.g. "linux". */
  platform: string;
  /** os.release(), e.g. "6.8.0-45-generic". */
  kernelRelease: string;
  /** os.arch(), e.g. "x64", "arm64". */
  arch: string;
  distro: OsRelease | null;
}

export interface DiskSpace {
  path: string;
  totalKb: number;
  freeKb: number;
}

export interface GpuInventory {
  devices: GpuDevice[];
  /** Why the probe found nothing when that was not "no GPU" (timeout, driver error); null otherwise. */
  error: string | null;
}

/** Everything measured about the machine at one moment. Memory in kB, times in epoch seconds. */
export interface HostFacts {
  /** OS host name as reported (not shortened). */
  hostname: string;
  topology: CpuTopology;
  memory: MemInfo;
  load: LoadAverage;
  bootTime: number;
  os: OsFacts;
  tempDir: DiskSpace;
  gpus: GpuInventory;
  cgroup: CgroupSupport;
  /** Epoch ms. */
  sampledAt: number;
}

/**
 * report.RenderHost as a plain object: protobuf-es field names, bigint for the wire's int64 fields.
 * Every memory field is kB. `create(RenderHostSchema, value)` accepts it as is.
 */
export interface RenderHostLike {
  name: string;
  nimbyEnabled: boolean;
  nimbyLocked: boolean;
  facility: string;
  numProcs: number;
  coresPerProc: number;
  totalSwap: bigint;
  totalMem: bigint;
  totalMcp: bigint;
  freeSwap: bigint;
  freeMem: bigint;
  freeMcp: bigint;
  load: number;
  bootTime: number;
  tags: string[];
  state: HardwareState;
  attributes: Record<string, string>;
  numGpus: number;
  freeGpuMem: bigint;
  totalGpuMem: bigint;
}

/** report.CoreDetail as a plain object; core fields in core units (100 = one physical core). */
export interface CoreDetailLike {
  totalCores: number;
  idleCores: number;
  lockedCores: number;
  bookedCores: number;
  /** Deprecated on the wire; always empty. */
  reservedCores: Record<string, { coreid: bigint[] }>;
}

export interface RenderHostConfig {
  /** Replaces the OS host name (upstream `override_real_values.hostname` / OVERRIDE_HOSTNAME). */
  hostnameOverride?: string;
  /** Keep the domain part of the OS host name (upstream cuts at the first "."). Default false. */
  fullyQualifiedName?: boolean;
  facility?: string;
  /** Core units per physical core, default 100. */
  coreMultiplier?: number;
  nimbyEnabled?: boolean;
  workstationMode?: boolean;
  customTags?: readonly string[];
  /** Adds "rqdv-<version>" as Python RQD does. */
  rqdVersion?: string;
  /** Adds "64bit"/"32bit" and the kernel release as Python RQD does. Default false (Rust RQD). */
  platformTags?: boolean;
  overrides?: {
    /** Physical cores per socket. */
    coresPerSocket?: number;
    sockets?: number;
    memoryKb?: number;
    /** SP_OS attribute. */
    os?: string;
  };
}

export interface RenderHostState {
  nimbyLocked?: boolean;
  state?: HardwareState;
}

export function shortHostname(name: string): string {
  // An IP address is kept whole; a DNS name is cut at its first dot, as both upstream RQDs do.
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name) || name.includes(":")) return name;
  const dot = name.indexOf(".");
  return dot > 0 ? name.slice(0, dot) : name;
}

/** SP_OS: configured value, else the distro id (os-release ID / lsb DISTRIB_ID), else "linux". */
export function spOs(os: OsFacts, override?: string): string {
  return override ?? os.distro?.id ?? (os.platform === "linux" ? "linux" : os.platform);
}

/** Host tags as the upstream RQDs derive them; duplicates and blanks removed, order kept. */
export function deriveHostTags(config: RenderHostConfig, os: OsFacts): string[] {
  const tags: string[] = [];
  if (config.workstationMode) tags.push("desktop");
  if (config.rqdVersion) tags.push(`rqdv-${config.rqdVersion}`);
  tags.push(...(config.customTags ?? []));
  if (config.platformTags) {
    if (os.platform === "win32") tags.push("windows");
    else {
      tags.push(/64/.test(os.arch) ? "64bit" : "32bit");
      tags.push(os.kernelRelease);
    }
  }
  return [...new Set(tags.map((t) => t.trim()).filter((t) => t !== ""))];
}

const kb = (n: number): bigint => BigInt(Math.max(0, Math.round(n)));

export function buildRenderHost(facts: HostFacts, config: RenderHostConfig = {}, state: RenderHostState = {}): RenderHostLike {
  const multiplier = config.coreMultiplier ?? 100;
  const topo = facts.topology;
  const realTotal = facts.memory.memTotalKb;
  const totalMem = config.overrides?.memoryKb ?? realTotal;
  // "Available" rebased onto a possibly overridden total: what is in use stays in use.
  const freeMem = totalMem - (realTotal - facts.memory.memAvailableKb);
  let gpuTotal = 0;
  let gpuFree = 0;
  for (const d of facts.gpus.devices) {
    gpuTotal += d.totalMemoryKb;
    gpuFree += d.freeMemoryKb;
  }
  const name = config.hostnameOverride ?? (config.fullyQualifiedName ? facts.hostname : shortHostname(facts.hostname));
  return {
    name,
    nimbyEnabled: config.nimbyEnabled ?? false,
    nimbyLocked: state.nimbyLocked ?? false,
    facility: config.facility ?? "cloud",
    numProcs: config.overrides?.sockets ?? topo.sockets,
    coresPerProc: (config.overrides?.coresPerSocket ?? topo.coresPerSocket) * multiplier,
    totalSwap: kb(facts.memory.swapTotalKb),
    totalMem: kb(totalMem),
    totalMcp: kb(facts.tempDir.totalKb),
    freeSwap: kb(facts.memory.swapFreeKb),
    freeMem: kb(freeMem),
    freeMcp: kb(facts.tempDir.freeKb),
    // Load per physical core in hundredths: upstream divides by the HT multiplier; threadsPerCore is
    // the same number on uniform CPUs and the right one on hybrids.
    load: Math.floor(Math.round(facts.load.load1 * 100) / topo.threadsPerCore),
    bootTime: Math.floor(facts.bootTime),
    tags: deriveHostTags(config, facts.os),
    state: state.state ?? HardwareState.UP,
    attributes: {
      SP_OS: spOs(facts.os, config.overrides?.os),
      hyperthreadingMultiplier: String(topo.hyperthreadingMultiplier),
    },
    numGpus: facts.gpus.devices.length,
    freeGpuMem: kb(gpuFree),
    totalGpuMem: kb(gpuTotal),
  };
}

/** CoreDetail from the topology and the caller's core bookings (physical cores), in core units. */
export function buildCoreDetail(topology: CpuTopology, usage: { lockedCores?: number; bookedCores?: number } = {}, coreMultiplier = 100): CoreDetailLike {
  const total = topology.physicalCores;
  const locked = Math.min(total, Math.max(0, usage.lockedCores ?? 0));
  const booked = Math.min(total, Math.max(0, usage.bookedCores ?? 0));
  const idle = Math.max(0, Math.min(total - booked, total - locked));
  return {
    totalCores: total * coreMultiplier,
    idleCores: idle * coreMultiplier,
    lockedCores: locked * coreMultiplier,
    bookedCores: booked * coreMultiplier,
    reservedCores: {},
  };
}
