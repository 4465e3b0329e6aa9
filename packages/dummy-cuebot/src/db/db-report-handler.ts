// The DB-backed report handling: what Cuebot does with RQD's reports, applied to a Cuebot-schema
// database, for a farm without Cuebot (the demo, end-to-end tests). Reports are applied one at a
// time, in arrival order, so concurrent reports of one farm never interleave their read-then-write
// steps (a dummy needs determinism more than throughput).
import type { BootReport, FrameCompleteReport, HostReport } from "@opencue-ts/proto";
import type { CuebotDb } from "./db-types.js";
import { DummyCuebotError } from "./errors.js";
import { applyFrameCompletion, type CompletionOutcome } from "./frame-completion.js";
import { applyRenderHost, applyRunningFrames, type HostRegistrationOptions } from "./host-reports.js";
import { sweepLostProcs, type LostProcSweep } from "./lost-procs.js";

/** What a report server calls for each report; the returned text describes what was applied. */
export interface ReportHandler {
  startup(report: BootReport): Promise<string>;
  status(report: HostReport): Promise<string>;
  completion(report: FrameCompleteReport): Promise<string>;
}

export interface DbReportHandlerOptions extends Partial<HostRegistrationOptions> {
  readonly db: CuebotDb;
  /** Injected clock (epoch ms). */
  readonly now?: () => number;
  /** A host not pinging for this long is marked DOWN and its frames re-queued (default 300 000, Cuebot's). */
  readonly hostDownAfterMs?: number;
  /** A proc no status report mentioned for this long is cleared (default 300 000, Dispatcher.ORPHANED_SECONDS). */
  readonly orphanAfterMs?: number;
}

export interface DbReportHandler extends ReportHandler {
  /** Completion reports as applied, for tests and tools. */
  applyCompletion(report: FrameCompleteReport): Promise<CompletionOutcome>;
  /** Marks silent hosts DOWN and re-queues their frames and orphaned ones (see lost-procs.ts). */
  sweep(): Promise<LostProcSweep>;
}

export const DEFAULT_HOST_REGISTRATION: HostRegistrationOptions = {
  defaultFacility: "local",
  defaultAllocationTag: "general",
  memReservedSystemKb: 524_288,
  memReservedMinKb: 262_144,
};

export function describeCompletion(o: CompletionOutcome): string {
  if (o.kind !== "applied") return `${o.frameName}: ${o.kind} (${o.reason})${o.procReleased ? ", proc released" : ""}`;
  const parts = [`${o.frameName} ${o.state} (exit ${o.exitStatus})`];
  if (o.orphan) parts.push("orphan");
  if (o.procReleased) parts.push("proc released");
  if (o.dependentsReleased > 0) parts.push(`${o.dependentsReleased} dependent frame(s) released`);
  if (o.layerComplete) parts.push("layer complete");
  if (o.jobFinished) parts.push("job FINISHED");
  return parts.join(", ");
}

export function createDbReportHandler(options: DbReportHandlerOptions): DbReportHandler {
  const { db } = options;
  const now = () => new Date((options.now ?? Date.now)());
  const registration: HostRegistrationOptions = {
    defaultFacility: options.defaultFacility ?? DEFAULT_HOST_REGISTRATION.defaultFacility,
    defaultAllocationTag: options.defaultAllocationTag ?? DEFAULT_HOST_REGISTRATION.defaultAllocationTag,
    memReservedSystemKb: options.memReservedSystemKb ?? DEFAULT_HOST_REGISTRATION.memReservedSystemKb,
    memReservedMinKb: options.memReservedMinKb ?? DEFAULT_HOST_REGISTRATION.memReservedMinKb,
  };
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(work, work);
    chain = run.catch(() => undefined);
    return run;
  };

  const applyCompletion = (report: FrameCompleteReport) => serial(() => applyFrameCompletion(db, report, now()));

  return {
    startup: (report) =>
      serial(async () => {
        if (!report.host) throw new DummyCuebotError("INVALID_REPORT", "boot_report has no host");
        const host = await applyRenderHost(db, report.host, true, registration, now());
        return `host ${host.name} ${host.created ? "registered" : "updated"}`;
      }),
    status: (report) =>
      serial(async () => {
        if (!report.host) throw new DummyCuebotError("INVALID_REPORT", "host_report has no host");
        const t = now();
        const host = await applyRenderHost(db, report.host, false, registration, t);
        const frames = await applyRunningFrames(db, report.frames, t);
        return `host ${host.name} ${host.created ? "registered" : "updated"}, ${frames.verified} running frame(s) updated` +
          (frames.unverified > 0 ? `, ${frames.unverified} not booked here` : "");
      }),
    completion: async (report) => describeCompletion(await applyCompletion(report)),
    applyCompletion,
    sweep: () => serial(() => sweepLostProcs(db, { downAfterMs: options.hostDownAfterMs ?? 300_000, orphanAfterMs: options.orphanAfterMs ?? 300_000 }, now())),
  };
}
