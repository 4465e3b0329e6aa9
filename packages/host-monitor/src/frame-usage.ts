import type { ProcessTreeSample } from "./process-types.js";

/** A frame's usage across its life: the latest sample plus running maxima (kB, seconds). */
export interface FrameUsage {
  latest: ProcessTreeSample | null;
  samples: number;
  maxRssKb: number;
  maxPssKb: number;
  maxVsizeKb: number;
  maxSwapKb: number;
  /** CPU seconds only grow, except when a child that was counted exits unreaped; keep the maximum. */
  cpuSeconds: number;
  /** Earliest process start seen, epoch seconds (RunningFrameInfo.start_time is this × 1000). */
  startTime: number | null;
  /** Every process ever seen in the tree (pid:startTicks), with its own peak RSS, for the log footer. */
  processes: Map<string, { pid: number; name: string; cmdline: string; startTime: number; maxRssKb: number }>;
}

export interface FrameUsageTracker {
  update(sample: ProcessTreeSample | null): FrameUsage;
  current(): FrameUsage;
}

/** Keeps maxima over successive tree samples (a null sample, e.g. the frame just ended, changes nothing). */
export function createFrameUsageTracker(): FrameUsageTracker {
  const usage: FrameUsage = { latest: null, samples: 0, maxRssKb: 0, maxPssKb: 0, maxVsizeKb: 0, maxSwapKb: 0, cpuSeconds: 0, startTime: null, processes: new Map() };
  return {
    current: () => usage,
    update(sample) {
      if (!sample) return usage;
      usage.latest = sample;
      usage.samples++;
      usage.maxRssKb = Math.max(usage.maxRssKb, sample.rssKb);
      usage.maxPssKb = Math.max(usage.maxPssKb, sample.pssKb);
      usage.maxVsizeKb = Math.max(usage.maxVsizeKb, sample.vsizeKb);
      usage.maxSwapKb = Math.max(usage.maxSwapKb, sample.swapKb);
      usage.cpuSeconds = Math.max(usage.cpuSeconds, sample.cpuSeconds);
      for (const p of sample.processes) {
        if (usage.startTime === null || p.startTime < usage.startTime) usage.startTime = p.startTime;
        const key = `${p.pid}:${p.startTicks}`;
        const seen = usage.processes.get(key);
        if (seen) {
          seen.maxRssKb = Math.max(seen.maxRssKb, p.rssKb);
          if (p.cmdline !== "") seen.cmdline = p.cmdline;
        } else {
          usage.processes.set(key, { pid: p.pid, name: p.name, cmdline: p.cmdline, startTime: p.startTime, maxRssKb: p.rssKb });
        }
      }
      return usage;
    },
  };
}
