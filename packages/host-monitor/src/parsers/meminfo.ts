import { HostMonitorParseError } from "../errors.js";
import { parseKbValue, splitKeyValue } from "./text.js";

/** /proc/meminfo values, kB. */
export interface MemInfo {
  memTotalKb: number;
  memFreeKb: number;
  /** MemAvailable (kernel >= 3.14); estimated as MemFree + Buffers + Cached + SReclaimable − Shmem before. */
  memAvailableKb: number;
  buffersKb: number;
  cachedKb: number;
  shmemKb: number;
  sReclaimableKb: number;
  swapTotalKb: number;
  swapFreeKb: number;
  /** Every "Key: n kB" line (and unitless counters like HugePages_Total), by key. */
  all: Record<string, number>;
}

export function parseMeminfo(text: string, file = "/proc/meminfo"): MemInfo {
  const all: Record<string, number> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    const kv = splitKeyValue(line);
    if (!kv) throw new HostMonitorParseError(file, i + 1, `expected "Key: value", got ${JSON.stringify(line)}`);
    all[kv[0]] = parseKbValue(kv[1], file, i + 1, kv[0]);
  }
  const need = (key: string): number => {
    const v = all[key];
    if (v === undefined) throw new HostMonitorParseError(file, null, `no ${key} line`);
    return v;
  };
  const memTotalKb = need("MemTotal");
  const memFreeKb = need("MemFree");
  const buffersKb = all["Buffers"] ?? 0;
  const cachedKb = all["Cached"] ?? 0;
  const shmemKb = all["Shmem"] ?? 0;
  const sReclaimableKb = all["SReclaimable"] ?? 0;
  const estimate = Math.min(memTotalKb, memFreeKb + buffersKb + cachedKb + sReclaimableKb - shmemKb);
  return {
    memTotalKb,
    memFreeKb,
    memAvailableKb: all["MemAvailable"] ?? estimate,
    buffersKb,
    cachedKb,
    shmemKb,
    sReclaimableKb,
    swapTotalKb: all["SwapTotal"] ?? 0,
    swapFreeKb: all["SwapFree"] ?? 0,
    all,
  };
}
