// The frame log: RQD's path and rotation rules, header and footer blocks, and line timestamps.
import { join } from "node:path";
import type { FrameExit, FrameSpec } from "./frame-spec.js";

const RULE = "=".repeat(100);
const DASH = "-".repeat(100);
const UNDER = "_".repeat(100);
const label = (name: string, value: string | number) => `${name.padEnd(20)}${value}`;

export function frameLogPath(spec: Pick<FrameSpec, "logDir" | "jobName" | "frameName">): string {
  return join(spec.logDir, `${spec.jobName}.${spec.frameName}.rqlog`);
}

/** The name an existing log is rotated to: the first of path.1 … path.99 not taken, else path.100. */
export function rotatedLogName(path: string, exists: (p: string) => boolean): string {
  for (let n = 1; n <= 99; n++) if (!exists(`${path}.${n}`)) return `${path}.${n}`;
  return `${path}.100`;
}

const pad2 = (n: number) => String(n).padStart(2, "0");
export function localTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
export function linePrefix(ms: number): string {
  const d = new Date(ms);
  return `[${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}] `;
}

export interface HeaderInfo {
  command: string;
  uid: number;
  gid: number;
  logPath: string;
  hostName: string;
  cpuIds: number[];
  environment: Record<string, string>;
  notes: string[];
}

export function formatHeader(spec: FrameSpec, h: HeaderInfo): string {
  const lines = [
    "",
    RULE,
    label("RenderQ JobSpec", ""),
    label("command", h.command),
    label("uid", h.uid),
    label("gid", h.gid),
    label("log_path", h.logPath),
    label("render_host", h.hostName),
    label("job_id", spec.jobId),
    label("frame_id", spec.frameId),
    h.cpuIds.length > 0 ? `Hyperthreading cores ${h.cpuIds.join(", ")}` : "Hyperthreading disabled",
    ...h.notes,
    "",
    DASH,
    "Environment Variables:",
    ...Object.keys(h.environment).sort().map((k) => `${k}=${h.environment[k]}`),
    RULE,
    "",
  ];
  return lines.join("\n") + "\n";
}

export interface FooterProcess {
  pid: number;
  name: string;
  state: string;
  cmdline: string;
  rssKb: number;
  startTime: number;
}

export function formatFooter(exit: FrameExit, processes: FooterProcess[]): string {
  const lines = ["", "", RULE, "Render Frame Completed", label("exitStatus", exit.exitStatus), label("exitSignal", exit.exitSignal)];
  if (exit.exitSignal !== 0) lines.push(label("killMessage", exit.killReason ?? "No reason defined"), "");
  lines.push(
    label("startTime", localTimestamp(exit.startedAt)),
    label("endTime", localTimestamp(exit.endedAt)),
    // RQD writes maxrss in bytes here.
    label("maxrss", exit.maxRssKb * 1024),
    label("maxUsedGpuMemory", 0),
    label("runTime", exit.runTimeSeconds),
    "",
    "Processes:",
  );
  for (const p of processes) {
    lines.push(UNDER, label("child_pid", p.pid), label("name", `${p.name} - ${p.state}`), label("cmdline", p.cmdline), label("maxrss", p.rssKb * 1024), label("start_time", localTimestamp(p.startTime * 1000)));
  }
  lines.push(RULE, "");
  return lines.join("\n") + "\n";
}
