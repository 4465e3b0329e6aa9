import { HostMonitorParseError } from "../errors.js";

export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
  runnable: number | null;
  total: number | null;
}

/** /proc/loadavg: "0.30 0.57 0.29 2/89 5448". */
export function parseLoadavg(text: string, file = "/proc/loadavg"): LoadAverage {
  const parts = text.trim().split(/\s+/);
  const nums = parts.slice(0, 3).map(Number);
  if (parts.length < 3 || nums.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new HostMonitorParseError(file, 1, `expected three load averages, got ${JSON.stringify(text.trim())}`);
  }
  const m = /^(\d+)\/(\d+)$/.exec(parts[3] ?? "");
  return { load1: nums[0]!, load5: nums[1]!, load15: nums[2]!, runnable: m ? Number(m[1]) : null, total: m ? Number(m[2]) : null };
}
