import { CLOCK_TICKS } from "../clock-ticks.js";
import { HostMonitorParseError } from "../errors.js";
import { parsePidStat, type PidStat } from "../parsers/pid-stat.js";
import { parsePidStatus } from "../parsers/pid-status.js";
import { parseProcStat } from "../parsers/proc-stat.js";
import { parseSmapsRollup } from "../parsers/smaps-rollup.js";
import { parseStatm } from "../parsers/statm.js";
import { indexChildren, selectProcessTree } from "../process-tree-select.js";
import type { ProcessSample, ProcessTreeOptions, ProcessTreeSample } from "../process-types.js";
import { listPids, readProcText, yieldToEventLoop } from "./proc-fs.js";

/** One frame's tree to sample in a batch. */
export interface ProcessTreeRequest {
  rootPid: number;
  cgroupDir?: string;
}

export interface ProcessSamplerOptions {
  procRoot?: string;
  /** Read smaps_rollup for PSS (default true). */
  pss?: boolean;
  /**
   * Read swap use (default true): from smaps_rollup when PSS is read, else from status. false with
   * pss: false reads one file per process (the fastest snapshot) and reports swapKb 0.
   */
  swap?: boolean;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
}

export interface ProcessSampler {
  /** Snapshot of the live tree under rootPid; null when rootPid no longer exists. */
  readTree(rootPid: number, cgroupDir?: string): Promise<ProcessTreeSample | null>;
  /** Many trees from ONE scan of /proc (what a host report over all frames should use). */
  readTrees(requests: readonly ProcessTreeRequest[]): Promise<Map<number, ProcessTreeSample | null>>;
}

const YIELD_EVERY = 512;

/** Boot time in epoch seconds (btime from /proc/stat). Throws HostMonitorParseError when unreadable. */
export async function readBootTime(procRoot = "/proc"): Promise<number> {
  const file = `${procRoot}/stat`;
  const text = readProcText(file);
  if (text === null) throw new HostMonitorParseError(file, null, "cannot read");
  return parseProcStat(text, file).bootTime;
}

/** Start-time identity of one pid (field 22 of /proc/PID/stat); null when the pid does not exist. */
export async function readProcessStartTicks(pid: number, procRoot = "/proc"): Promise<number | null> {
  const text = readProcText(`${procRoot}/${pid}/stat`);
  if (text === null) return null;
  try {
    return parsePidStat(text, `${procRoot}/${pid}/stat`).startTicks;
  } catch {
    return null;
  }
}

function detectPageSizeKb(procRoot: string): number {
  // vsize (bytes, stat field 23) / size (pages, statm) of the same process gives the page size
  // without spawning getconf. Both files are read back to back; a changing vsize would be rare and
  // the result is rounded to a power of two.
  const stat = readProcText(`${procRoot}/self/stat`);
  const statm = readProcText(`${procRoot}/self/statm`);
  if (stat && statm) {
    try {
      const bytes = parsePidStat(stat).vsizeBytes / parseStatm(statm).sizePages;
      const pow = 2 ** Math.round(Math.log2(bytes));
      if (pow >= 4096) return pow / 1024;
    } catch {
      // fall through to the common default
    }
  }
  return 4;
}

const pageSizeKbByRoot = new Map<string, number>();

export function createProcessSampler(options: ProcessSamplerOptions = {}): ProcessSampler {
  const procRoot = options.procRoot ?? "/proc";
  const withPss = options.pss ?? true;
  const withSwap = options.swap ?? true;
  const now = options.now ?? Date.now;
  let pageSizeKb = pageSizeKbByRoot.get(procRoot);
  if (pageSizeKb === undefined) {
    pageSizeKb = detectPageSizeKb(procRoot);
    pageSizeKbByRoot.set(procRoot, pageSizeKb);
  }
  // btime is recomputed by the kernel from wall clock minus uptime and can wobble by a second under
  // NTP; read it once so start times of one process stay identical across samples.
  let bootTime: number | null = null;
  // argv of a (pid, start, comm) changes only across exec. exec usually changes comm, but not always
  // (node spawning node keeps "node"), and a just-forked child shows its parent's argv until it execs:
  // so only argv of processes older than CMDLINE_CACHE_MIN_AGE is cached. Caching saves one read per
  // process per sample.
  let uptimeTicks = 0;
  const cmdlineCache = new Map<string, { pid: number; startTicks: number; cmdline: string }>();

  // With no swap configured nobody can have swapped pages: skip the (costly) status read per process.
  // Checked on every scan because swapon can add swap at any time.
  function hostHasSwap(): boolean {
    const text = readProcText(`${procRoot}/meminfo`);
    if (text === null) return true;
    const m = /^SwapTotal:\s+(\d+)/m.exec(text);
    return m === null || Number(m[1]) > 0;
  }
  let readSwap = withSwap;

  function sampleOne(stat: PidStat): ProcessSample | null {
    const dir = `${procRoot}/${stat.pid}`;
    let pssKb: number | null = null;
    let swapKb: number | null = null;
    if (withPss) {
      const text = readProcText(`${dir}/smaps_rollup`);
      if (text !== null) {
        try {
          const rollup = parseSmapsRollup(text, `${dir}/smaps_rollup`);
          if (rollup) {
            pssKb = rollup.pssKb;
            swapKb = rollup.swapKb;
          }
        } catch {
          // a malformed rollup for one process must not fail the frame's sample
        }
      }
    }
    if (swapKb === null && !readSwap) swapKb = 0;
    if (swapKb === null) {
      const text = readProcText(`${dir}/status`);
      if (text === null) {
        if (readProcText(`${dir}/stat`) === null) return null; // vanished mid-scan
        swapKb = 0;
      } else {
        try {
          swapKb = parsePidStatus(text, `${dir}/status`).vmSwapKb;
        } catch {
          swapKb = 0;
        }
      }
    }
    const key = `${stat.pid}:${stat.startTicks}:${stat.comm}`;
    // Zombies have no argv any more; their cache entry (from when they lived) must not be reused.
    let cmdline = stat.state === "Z" ? "" : cmdlineCache.get(key)?.cmdline;
    if (cmdline === undefined) {
      const raw = readProcText(`${dir}/cmdline`) ?? "";
      cmdline = raw.replace(/\0+$/, "").replace(/\0/g, " ");
      if (uptimeTicks - stat.startTicks > CMDLINE_CACHE_MIN_AGE_S * CLOCK_TICKS) cmdlineCache.set(key, { pid: stat.pid, startTicks: stat.startTicks, cmdline });
    }
    return {
      pid: stat.pid,
      ppid: stat.ppid,
      pgid: stat.pgid,
      sid: stat.sid,
      name: stat.comm,
      state: stat.state,
      cmdline,
      startTicks: stat.startTicks,
      startTime: (bootTime as number) + stat.startTicks / CLOCK_TICKS,
      rssKb: stat.rssPages * (pageSizeKb as number),
      vsizeKb: Math.floor(stat.vsizeBytes / 1024),
      pssKb,
      swapKb,
      cpuSeconds: (stat.utimeTicks + stat.stimeTicks + stat.cutimeTicks + stat.cstimeTicks) / CLOCK_TICKS,
    };
  }

  async function readTrees(requests: readonly ProcessTreeRequest[]): Promise<Map<number, ProcessTreeSample | null>> {
    if (bootTime === null) bootTime = await readBootTime(procRoot);
    readSwap = withSwap && hostHasSwap();
    uptimeTicks = readUptimeTicks(procRoot);
    const sampledAt = now();
    const stats = new Map<number, PidStat>();
    const pids = listPids(procRoot);
    for (let i = 0; i < pids.length; i++) {
      if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop();
      const pid = pids[i] as number;
      const text = readProcText(`${procRoot}/${pid}/stat`);
      if (text === null) continue; // exited between readdir and read
      try {
        stats.set(pid, parsePidStat(text, `${procRoot}/${pid}/stat`));
      } catch {
        // an unparsable entry is skipped like an unreadable one
      }
    }
    const childrenOf = indexChildren(stats.values());
    const samples = new Map<number, ProcessSample | null>();
    const result = new Map<number, ProcessTreeSample | null>();
    let sampled = 0;
    for (const request of requests) {
      const extra = request.cgroupDir ? readCgroupProcs(request.cgroupDir) : [];
      const members = selectProcessTree(stats, childrenOf, request.rootPid, extra);
      const processes: ProcessSample[] = [];
      for (const pid of members) {
        let sample = samples.get(pid);
        if (sample === undefined) {
          if (++sampled % YIELD_EVERY === 0) await yieldToEventLoop();
          sample = sampleOne(stats.get(pid) as PidStat);
          samples.set(pid, sample);
        }
        if (sample) processes.push(sample);
      }
      if (processes.length === 0 || processes[0]?.pid !== request.rootPid) {
        result.set(request.rootPid, null);
        continue;
      }
      const tree: ProcessTreeSample = { rootPid: request.rootPid, sampledAt, processes, rssKb: 0, vsizeKb: 0, pssKb: 0, swapKb: 0, cpuSeconds: 0 };
      for (const p of processes) {
        tree.rssKb += p.rssKb;
        tree.vsizeKb += p.vsizeKb;
        tree.pssKb += p.pssKb ?? p.rssKb;
        tree.swapKb += p.swapKb;
        tree.cpuSeconds += p.cpuSeconds;
      }
      result.set(request.rootPid, tree);
    }
    // Drop entries of processes that are gone so the cache cannot grow without bound.
    for (const [key, entry] of cmdlineCache) {
      if (stats.get(entry.pid)?.startTicks !== entry.startTicks) cmdlineCache.delete(key);
    }
    return result;
  }

  return {
    readTrees,
    async readTree(rootPid, cgroupDir) {
      const request: ProcessTreeRequest = cgroupDir === undefined ? { rootPid } : { rootPid, cgroupDir };
      return (await readTrees([request])).get(rootPid) ?? null;
    },
  };
}

const CMDLINE_CACHE_MIN_AGE_S = 2;

/** Clock ticks since boot, from /proc/uptime; 0 (nothing is cached) when unreadable. */
function readUptimeTicks(procRoot: string): number {
  const text = readProcText(`${procRoot}/uptime`);
  const seconds = text === null ? NaN : Number.parseFloat(text);
  return Number.isFinite(seconds) ? seconds * CLOCK_TICKS : 0;
}

function readCgroupProcs(cgroupDir: string): number[] {
  const text = readProcText(`${cgroupDir}/cgroup.procs`);
  if (text === null) return [];
  return text.split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
}

const defaultSamplers = new Map<string, ProcessSampler>();

function samplerFor(procRoot: string, pss: boolean, swap: boolean): ProcessSampler {
  const key = `${procRoot}\0${pss}\0${swap}`;
  let sampler = defaultSamplers.get(key);
  if (!sampler) {
    sampler = createProcessSampler({ procRoot, pss, swap });
    defaultSamplers.set(key, sampler);
  }
  return sampler;
}

/** Snapshot of the live tree under rootPid; null when rootPid no longer exists. */
export function readProcessTree(rootPid: number, opts: ProcessTreeOptions = {}): Promise<ProcessTreeSample | null> {
  return samplerFor(opts.procRoot ?? "/proc", opts.pss ?? true, opts.swap ?? true).readTree(rootPid, opts.cgroupDir);
}

/** Several trees from a single /proc scan. */
export function readProcessTrees(
  requests: readonly ProcessTreeRequest[],
  opts: Omit<ProcessTreeOptions, "cgroupDir"> = {},
): Promise<Map<number, ProcessTreeSample | null>> {
  return samplerFor(opts.procRoot ?? "/proc", opts.pss ?? true, opts.swap ?? true).readTrees(requests);
}
