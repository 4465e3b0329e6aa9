import { HostMonitorParseError } from "../errors.js";

/** The query host-monitor runs; the parser expects these columns in this order. */
export const NVIDIA_SMI_QUERY_FIELDS = ["index", "uuid", "name", "pci.bus_id", "memory.total", "memory.used", "memory.free"] as const;

export interface GpuDevice {
  index: number;
  uuid: string;
  name: string;
  pciBusId: string;
  /** kB (KiB) = MiB × 1024. Python RQD multiplies MiB by 1048.576 (decimal kB), 2.4 % more. */
  totalMemoryKb: number;
  usedMemoryKb: number;
  freeMemoryKb: number;
}

function mibToKb(raw: string, file: string, line: number, column: string): number {
  const v = raw.trim().replace(/\s*MiB$/i, "");
  // "[N/A]" / "[Not Supported]": MIG-enabled or some virtual GPUs do not expose memory per device.
  if (/^\[.*\]$/.test(v)) return 0;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new HostMonitorParseError(file, line, `${column}: expected MiB, got ${JSON.stringify(raw.trim())}`);
  return Math.round(Number(v) * 1024);
}

/**
 * Parses `nvidia-smi --query-gpu=index,uuid,name,pci.bus_id,memory.total,memory.used,memory.free
 * --format=csv,noheader,nounits`. "No devices were found" (what nvidia-smi prints, exit 6, on a host
 * whose driver sees no GPU) and empty output are zero GPUs.
 */
export function parseNvidiaSmiQuery(text: string, file = "nvidia-smi"): GpuDevice[] {
  const out: GpuDevice[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || /^No devices were found/i.test(line)) continue;
    const cols = line.split(",").map((c) => c.trim());
    if (cols.length !== NVIDIA_SMI_QUERY_FIELDS.length) {
      throw new HostMonitorParseError(file, i + 1, `expected ${NVIDIA_SMI_QUERY_FIELDS.length} columns (${NVIDIA_SMI_QUERY_FIELDS.join(",")}), got ${cols.length}`);
    }
    const [index, uuid, name, pciBusId, total, used, free] = cols as [string, string, string, string, string, string, string];
    if (!/^\d+$/.test(index)) throw new HostMonitorParseError(file, i + 1, `index: expected an integer, got ${JSON.stringify(index)}`);
    out.push({
      index: Number(index),
      uuid,
      name,
      pciBusId,
      totalMemoryKb: mibToKb(total, file, i + 1, "memory.total"),
      usedMemoryKb: mibToKb(used, file, i + 1, "memory.used"),
      freeMemoryKb: mibToKb(free, file, i + 1, "memory.free"),
    });
  }
  return out;
}

export interface GpuTotals {
  numGpus: number;
  totalGpuMemKb: number;
  freeGpuMemKb: number;
}

export function sumGpus(devices: readonly GpuDevice[]): GpuTotals {
  let totalGpuMemKb = 0;
  let freeGpuMemKb = 0;
  for (const d of devices) {
    totalGpuMemKb += d.totalMemoryKb;
    freeGpuMemKb += d.freeMemoryKb;
  }
  return { numGpus: devices.length, totalGpuMemKb, freeGpuMemKb };
}
