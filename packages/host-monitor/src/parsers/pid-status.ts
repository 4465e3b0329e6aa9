import { HostMonitorParseError } from "../errors.js";
import { parseKbValue, splitKeyValue } from "./text.js";

/** The memory and identity lines of /proc/PID/status (kB where the kernel says kB). */
export interface PidStatus {
  name: string;
  state: string;
  tgid: number | null;
  ppid: number | null;
  /** NSsid (kernel >= 4.1); null on older kernels. */
  sid: number | null;
  /** Absent for kernel threads and zombies: 0 then. */
  vmRssKb: number;
  vmSizeKb: number;
  vmHwmKb: number;
  vmSwapKb: number;
  threads: number | null;
}

const KB_KEYS: Record<string, "vmRssKb" | "vmSizeKb" | "vmHwmKb" | "vmSwapKb"> = {
  VmRSS: "vmRssKb",
  VmSize: "vmSizeKb",
  VmHWM: "vmHwmKb",
  VmSwap: "vmSwapKb",
};

export function parsePidStatus(text: string, file = "/proc/PID/status"): PidStatus {
  const out: PidStatus = { name: "", state: "", tgid: null, ppid: null, sid: null, vmRssKb: 0, vmSizeKb: 0, vmHwmKb: 0, vmSwapKb: 0, threads: null };
  const lines = text.split("\n");
  let sawName = false;
  for (let i = 0; i < lines.length; i++) {
    const kv = splitKeyValue(lines[i] as string);
    if (!kv) continue;
    const [key, value] = kv;
    const kbKey = KB_KEYS[key];
    if (kbKey) {
      out[kbKey] = parseKbValue(value, file, i + 1, key);
      continue;
    }
    switch (key) {
      case "Name":
        out.name = value;
        sawName = true;
        break;
      case "State":
        out.state = value.slice(0, 1);
        break;
      case "Tgid":
        out.tgid = Number(value);
        break;
      case "PPid":
        out.ppid = Number(value);
        break;
      case "NSsid":
        // Nested pid namespaces list several values; the first is as seen from our namespace.
        out.sid = Number(value.split(/\s+/)[0]);
        break;
      case "Threads":
        out.threads = Number(value);
        break;
    }
  }
  if (!sawName) throw new HostMonitorParseError(file, null, "no Name: line");
  return out;
}
