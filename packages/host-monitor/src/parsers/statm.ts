import { HostMonitorParseError } from "../errors.js";

/** /proc/PID/statm, in pages. */
export interface Statm {
  sizePages: number;
  residentPages: number;
  sharedPages: number;
  textPages: number;
  dataPages: number;
}

export function parseStatm(text: string, file = "/proc/PID/statm"): Statm {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 6 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new HostMonitorParseError(file, 1, `expected 7 page counts, got ${JSON.stringify(text.trim())}`);
  }
  const n = parts.map(Number);
  return { sizePages: n[0]!, residentPages: n[1]!, sharedPages: n[2]!, textPages: n[3]!, dataPages: n[5]! };
}
