import { HostMonitorParseError } from "../errors.js";

/** The parts of /proc/stat host-monitor uses. CPU times in clock ticks. */
export interface ProcStat {
  /** Boot time, epoch seconds. */
  bootTime: number;
  cpu: { user: number; nice: number; system: number; idle: number; iowait: number; irq: number; softirq: number; steal: number };
  processesCreated: number | null;
  procsRunning: number | null;
  procsBlocked: number | null;
}

export function parseProcStat(text: string, file = "/proc/stat"): ProcStat {
  let bootTime: number | null = null;
  let cpu: ProcStat["cpu"] | null = null;
  let processesCreated: number | null = null;
  let procsRunning: number | null = null;
  let procsBlocked: number | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const space = line.indexOf(" ");
    if (space < 0) continue;
    const key = line.slice(0, space);
    const value = line.slice(space + 1).trim();
    const int = (): number => {
      if (!/^\d+$/.test(value)) throw new HostMonitorParseError(file, i + 1, `${key}: expected an integer, got ${JSON.stringify(value)}`);
      return Number(value);
    };
    if (key === "btime") bootTime = int();
    else if (key === "processes") processesCreated = int();
    else if (key === "procs_running") procsRunning = int();
    else if (key === "procs_blocked") procsBlocked = int();
    else if (key === "cpu") {
      const f = value.split(/\s+/).map(Number);
      if (f.length < 4 || f.some((x) => !Number.isFinite(x))) throw new HostMonitorParseError(file, i + 1, "malformed cpu line");
      cpu = { user: f[0]!, nice: f[1]!, system: f[2]!, idle: f[3]!, iowait: f[4] ?? 0, irq: f[5] ?? 0, softirq: f[6] ?? 0, steal: f[7] ?? 0 };
    }
  }
  if (bootTime === null) throw new HostMonitorParseError(file, null, "no btime line");
  return {
    bootTime,
    cpu: cpu ?? { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0 },
    processesCreated,
    procsRunning,
    procsBlocked,
  };
}
