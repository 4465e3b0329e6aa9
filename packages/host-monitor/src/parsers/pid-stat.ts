import { HostMonitorParseError } from "../errors.js";

/** The fields of /proc/PID/stat that host-monitor uses. Times are in clock ticks, sizes as the kernel gives them. */
export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  utimeTicks: number;
  stimeTicks: number;
  cutimeTicks: number;
  cstimeTicks: number;
  numThreads: number;
  /** Field 22: start time in clock ticks since boot. With the pid it identifies one process. */
  startTicks: number;
  vsizeBytes: number;
  rssPages: number;
}

/**
 * Parses /proc/PID/stat. The command name is in parentheses and may itself contain spaces and ")",
 * so the fields are counted after the LAST ")" (the upstream Rust RQD splits on whitespace and
 * misreads such processes).
 */
export function parsePidStat(text: string, file = "/proc/PID/stat"): PidStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) throw new HostMonitorParseError(file, 1, "no parenthesised command name");
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trimEnd().split(" ");
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  if (!Number.isInteger(pid) || rest.length < 22) throw new HostMonitorParseError(file, 1, `expected at least 24 fields, got ${rest.length + 2}`);
  const num = (field: number): number => {
    const raw = rest[field - 3] as string;
    const value = Number(raw);
    if (raw === "" || !Number.isFinite(value)) throw new HostMonitorParseError(file, 1, `field ${field} is not a number: ${JSON.stringify(raw)}`);
    return value;
  };
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] as string,
    ppid: num(4),
    pgid: num(5),
    sid: num(6),
    utimeTicks: num(14),
    stimeTicks: num(15),
    cutimeTicks: num(16),
    cstimeTicks: num(17),
    numThreads: num(20),
    startTicks: num(22),
    vsizeBytes: num(23),
    rssPages: num(24),
  };
}
