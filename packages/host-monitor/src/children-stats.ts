import type { ChildProcStatsLike, ProcessTreeSample } from "./process-types.js";

const pad = (n: number): string => String(n).padStart(2, "0");

/** Local "YYYY-MM-DD HH:MM:SS" for epoch seconds, the format both upstream RQDs put in ProcStats.start_time. */
export function formatLocalTimestamp(epochSeconds: number): string {
  const d = new Date(Math.floor(epochSeconds) * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * Converts a tree sample to the report.ChildrenProcStats shape. Every memory field is kB, like every
 * other memory field of report.proto (the Rust RQD puts bytes in Stat; Python and Cuebot use kB).
 * A process without PSS reports its RSS as PSS, as upstream does.
 */
export function toChildrenProcStats(sample: ProcessTreeSample): { children: ChildProcStatsLike[] } {
  return {
    children: sample.processes.map((p) => {
      const rss = BigInt(Math.round(p.rssKb));
      const vsize = BigInt(Math.round(p.vsizeKb));
      return {
        stat: { rss, pss: BigInt(Math.round(p.pssKb ?? p.rssKb)), vsize, state: p.state, name: p.name, pid: String(p.pid) },
        statm: { rss, size: vsize },
        status: { vrss: rss, vsize },
        cmdline: p.cmdline,
        startTime: formatLocalTimestamp(p.startTime),
      };
    }),
  };
}
