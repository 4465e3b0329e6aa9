import {
  BootReportSchema,
  Code,
  ConnectError,
  FrameCompleteReportSchema,
  HardwareState,
  HostReportSchema,
  networkErrorCode,
  RunFrameSchema,
  RunningFrameInfoSchema,
  toJson,
  type CoreDetail,
  type HostReport,
  type JsonValue,
  type RenderHost,
  type RunFrame,
  type RunningFrameInfo,
} from "@opencue-ts/proto";
import type { ReceivedReport } from "./report-server.js";

/** gRPC's canonical status name: NOT_FOUND, DEADLINE_EXCEEDED, ... */
export function grpcCodeName(code: Code): string {
  if (code === Code.Canceled) return "CANCELLED";
  return (Code[code] ?? `CODE_${code}`).replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** kB (as RQD reports memory) to a short human string. */
export function formatKb(kb: bigint): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = Number(kb);
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

const coresText = (c: CoreDetail | undefined): string =>
  c ? `cores ${c.idleCores}/${c.totalCores} idle, ${c.lockedCores} locked, ${c.bookedCores} booked` : "cores ?";

function hostText(h: RenderHost | undefined): string {
  if (!h) return "no host";
  return [
    `state ${HardwareState[h.state] ?? h.state}`,
    `nimby ${h.nimbyEnabled ? (h.nimbyLocked ? "locked" : "on") : "off"}`,
    `load ${(h.load / 100).toFixed(2)}`,
    `mem ${formatKb(h.freeMem)} free of ${formatKb(h.totalMem)}`,
    `gpus ${h.numGpus}`,
    `tags [${h.tags.join(" ")}]`,
  ].join(", ");
}

const frameText = (f: RunningFrameInfo): string =>
  `${f.jobName}.${f.frameName} (${f.frameId}) cores ${f.numCores} rss ${formatKb(f.rss)}`;

/** One line per report, in the "RqdReport: Received a <rpc> request" form OpenCue's dummy Cuebot prints. */
export function describeReport(r: ReceivedReport): string {
  const applied = r.error !== undefined ? ` -> not applied: ${r.error}` : r.applied !== undefined ? ` -> ${r.applied}` : "";
  return describeReportBody(r) + applied;
}

function describeReportBody(r: ReceivedReport): string {
  const head = `${new Date(r.receivedAt).toISOString()} RqdReport: Received a ${r.kind} request from ${r.hostName}:`;
  switch (r.kind) {
    case "report_rqd_startup":
      return `${head} ${coresText(r.report.coreInfo)}; ${hostText(r.report.host)}`;
    case "report_status":
      return `${head} frames: [${r.report.frames.map(frameText).join(", ")}]; ${coresText(r.report.coreInfo)}; ${hostText(r.report.host)}`;
    case "report_running_frame_completion": {
      const f = r.report.frame;
      const frame = f ? `${f.jobName}.${f.frameName} (${f.frameId})` : "unknown frame";
      return `${head} frame ${frame} exit_status: ${r.report.exitStatus} exit_signal: ${r.report.exitSignal} run_time: ${r.report.runTime}s max_rss: ${formatKb(f?.maxRss ?? 0n)}`;
    }
  }
}

// Zero values are printed too (exit_status 0, state UP): JSON readers should not have to know proto3 defaults.
const jsonOptions = { alwaysEmitImplicit: true } as const;

/** A JSON object for one report: proto3 JSON for the message (int64 as strings, enums by name). */
export function reportToJson(r: ReceivedReport): { [k: string]: JsonValue } {
  const report =
    r.kind === "report_rqd_startup"
      ? toJson(BootReportSchema, r.report, jsonOptions)
      : r.kind === "report_status"
        ? toJson(HostReportSchema, r.report, jsonOptions)
        : toJson(FrameCompleteReportSchema, r.report, jsonOptions);
  return {
    kind: r.kind, seq: r.seq, receivedAt: new Date(r.receivedAt).toISOString(), host: r.hostName, report,
    ...(r.applied !== undefined ? { applied: r.applied } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
  };
}

export const hostReportToJson = (report: HostReport): JsonValue => toJson(HostReportSchema, report, jsonOptions);
// RunFrame keeps proto3 presence: "uid" appears only when the oneof is set.
export const runFrameToJson = (frame: RunFrame): JsonValue => toJson(RunFrameSchema, frame, jsonOptions);
export const runningFrameInfoToJson = (info: RunningFrameInfo): JsonValue =>
  toJson(RunningFrameInfoSchema, info, jsonOptions);

/** Left-aligned text table; every cell already a string. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The host report as key/value, cores and frames tables. */
export function hostReportTable(report: HostReport): string {
  const h = report.host;
  const c = report.coreInfo;
  const hostRows: string[][] = h
    ? [
        ["name", h.name],
        ["facility", h.facility],
        ["state", HardwareState[h.state] ?? String(h.state)],
        ["nimby", `${h.nimbyEnabled ? "enabled" : "disabled"}${h.nimbyLocked ? ", locked" : ""}`],
        ["procs x cores/proc", `${h.numProcs} x ${h.coresPerProc}`],
        ["load", (h.load / 100).toFixed(2)],
        ["memory free/total", `${formatKb(h.freeMem)} / ${formatKb(h.totalMem)}`],
        ["swap free/total", `${formatKb(h.freeSwap)} / ${formatKb(h.totalSwap)}`],
        ["mcp free/total", `${formatKb(h.freeMcp)} / ${formatKb(h.totalMcp)}`],
        ["gpus", String(h.numGpus)],
        ["gpu mem free/total", `${formatKb(h.freeGpuMem)} / ${formatKb(h.totalGpuMem)}`],
        ["boot time", h.bootTime ? new Date(h.bootTime * 1000).toISOString() : "-"],
        ["tags", h.tags.join(" ")],
        ...Object.entries(h.attributes).map(([k, v]) => [`attr ${k}`, v]),
      ]
    : [["host", "(none)"]];
  const coreRows = c
    ? [[String(c.totalCores), String(c.idleCores), String(c.lockedCores), String(c.bookedCores)]]
    : [];
  const frameRows = report.frames.map((f) => [
    f.frameId,
    f.jobName,
    f.frameName,
    String(f.numCores),
    formatKb(f.rss),
    formatKb(f.maxRss),
    f.startTime ? new Date(Number(f.startTime)).toISOString() : "-",
  ]);
  return [
    table(["field", "value"], hostRows),
    "",
    table(["total cores", "idle", "locked", "booked"], coreRows),
    "",
    report.frames.length
      ? table(["frame id", "job", "frame", "cores", "rss", "max rss", "started"], frameRows)
      : "no running frames",
  ].join("\n");
}

export function runningFrameInfoTable(f: RunningFrameInfo): string {
  return table(
    ["field", "value"],
    [
      ["frame id", f.frameId],
      ["frame", f.frameName],
      ["job", `${f.jobName} (${f.jobId})`],
      ["layer id", f.layerId],
      ["resource id", f.resourceId],
      ["cores", String(f.numCores)],
      ["gpus", String(f.numGpus)],
      ["started", f.startTime ? new Date(Number(f.startTime)).toISOString() : "-"],
      ["rss / max", `${formatKb(f.rss)} / ${formatKb(f.maxRss)}`],
      ["pss / max", `${formatKb(f.pss)} / ${formatKb(f.maxPss)}`],
      ["vsize / max", `${formatKb(f.vsize)} / ${formatKb(f.maxVsize)}`],
      ["children", String(f.children?.children.length ?? 0)],
    ],
  );
}

/** One line for a failed call: "CODE: message", or a connection failure in plain words. */
export function describeCallError(err: unknown, target: string): string {
  const ce = ConnectError.from(err);
  const netCode = networkErrorCode(ce.cause ?? err);
  if (ce.code === Code.Unavailable && netCode !== undefined) {
    return `Failed to connect to RQD at ${target}: ${ce.rawMessage.replace(/^Error: /, "")}`;
  }
  return `${grpcCodeName(ce.code)}: ${ce.rawMessage}`;
}
