import { HostMonitorParseError } from "../errors.js";
import { splitKeyValue } from "./text.js";

/** One logical CPU ("processor" block) of /proc/cpuinfo. null where the block lacks the line (ARM). */
export interface CpuInfoEntry {
  processor: number;
  physicalId: number | null;
  coreId: number | null;
  siblings: number | null;
  cpuCores: number | null;
  modelName: string | null;
  /** 1-based line of the block's "processor" line, for error messages. */
  line: number;
}

/** One physical core: what core reservation books, with every hardware thread (logical CPU) on it. */
export interface PhysicalCore {
  socket: number;
  coreId: number;
  threadIds: number[];
}

export interface CpuTopology {
  logicalCpus: number;
  sockets: number;
  physicalCores: number;
  /** Physical cores per socket (integer division when sockets differ, as upstream). */
  coresPerSocket: number;
  /**
   * Hardware threads of the most-threaded core (2 with SMT/HT, 1 without). Upstream takes
   * siblings / "cpu cores" of the last block, which gives 1 for hybrid Intel parts (24 / 16).
   */
  hyperthreadingMultiplier: number;
  /** logicalCpus / physicalCores; 1.5 on an 8P+8E hybrid part. Load is normalised with this. */
  threadsPerCore: number;
  /** True when cores differ in thread count (Intel P/E hybrids). */
  hybrid: boolean;
  modelName: string | null;
  /** Sorted by socket then core id. */
  cores: PhysicalCore[];
}

/** Splits /proc/cpuinfo into processor blocks. Blocks without a "processor" line (ARM's trailing
 * "Hardware/Revision/Serial" block, old ARM's leading "Processor : ..." line) are not CPUs and are skipped. */
export function parseCpuInfo(text: string, file = "/proc/cpuinfo"): CpuInfoEntry[] {
  const entries: CpuInfoEntry[] = [];
  let current: CpuInfoEntry | null = null;
  let pendingModel: string | null = null;
  const lines = text.split("\n");
  const int = (value: string, line: number, key: string): number => {
    if (!/^\d+$/.test(value)) throw new HostMonitorParseError(file, line, `${key}: expected a non-negative integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") {
      current = null;
      continue;
    }
    const kv = splitKeyValue(line);
    if (!kv) continue;
    const [key, value] = kv;
    if (key === "processor") {
      current = { processor: int(value, i + 1, key), physicalId: null, coreId: null, siblings: null, cpuCores: null, modelName: pendingModel, line: i + 1 };
      entries.push(current);
      continue;
    }
    if (key === "model name" || key === "Processor") {
      // x86 "model name"; old 32-bit ARM kernels print "Processor : ARMv7 ..." before the blocks.
      if (current) current.modelName = value;
      else pendingModel = value;
      continue;
    }
    if (!current) continue;
    if (key === "physical id") current.physicalId = int(value, i + 1, key);
    else if (key === "core id") current.coreId = int(value, i + 1, key);
    else if (key === "siblings") current.siblings = int(value, i + 1, key);
    else if (key === "cpu cores") {
      current.cpuCores = int(value, i + 1, key);
      if (current.cpuCores === 0) throw new HostMonitorParseError(file, i + 1, "cpu cores: 0");
    }
  }
  if (entries.length === 0) throw new HostMonitorParseError(file, null, "no processor entries");
  const seen = new Set<number>();
  for (const e of entries) {
    if (seen.has(e.processor)) throw new HostMonitorParseError(file, e.line, `duplicate processor ${e.processor}`);
    seen.add(e.processor);
  }
  return entries;
}

/** Per-CPU topology from sysfs (/sys/devices/system/cpu/cpuN/topology), used where cpuinfo has none. */
export interface SysfsCpuTopology {
  packageId: number;
  coreId: number;
}

/**
 * Groups logical CPUs into sockets and physical cores. Where cpuinfo has no "physical id"/"core id"
 * (ARM, some VMs) sysfs values are used when given; failing both, every logical CPU is its own core on
 * socket 0 (upstream instead makes every such CPU its own socket, which reports e.g. an 80-core ARM
 * server as 80 sockets of one core).
 */
export function buildCpuTopology(entries: readonly CpuInfoEntry[], sysfs: ReadonlyMap<number, SysfsCpuTopology> = new Map()): CpuTopology {
  const byCore = new Map<string, PhysicalCore>();
  for (const e of entries) {
    const fromSysfs = sysfs.get(e.processor);
    const socket = e.physicalId ?? fromSysfs?.packageId ?? 0;
    const coreId = e.physicalId === null && e.coreId === null ? (fromSysfs?.coreId ?? e.processor) : (e.coreId ?? 0);
    const key = `${socket}_${coreId}`;
    const core = byCore.get(key);
    if (core) core.threadIds.push(e.processor);
    else byCore.set(key, { socket, coreId, threadIds: [e.processor] });
  }
  const cores = [...byCore.values()].sort((a, b) => a.socket - b.socket || a.coreId - b.coreId);
  for (const c of cores) c.threadIds.sort((a, b) => a - b);
  const sockets = new Set(cores.map((c) => c.socket)).size;
  const threadCounts = new Set(cores.map((c) => c.threadIds.length));
  const maxThreads = Math.max(...threadCounts);
  return {
    logicalCpus: entries.length,
    sockets,
    physicalCores: cores.length,
    coresPerSocket: Math.floor(cores.length / sockets),
    hyperthreadingMultiplier: maxThreads,
    threadsPerCore: entries.length / cores.length,
    hybrid: threadCounts.size > 1,
    modelName: entries[0]?.modelName ?? null,
    cores,
  };
}
