import {
  bindService,
  Code,
  ConnectError,
  createGrpcServer,
  RqdReportInterface,
  type BootReport,
  type FrameCompleteReport,
  type HostReport,
} from "@opencue-ts/proto";
import type { ReportHandler } from "./db/db-report-handler.js";

/** The snake_case RPC names, as OpenCue's tools print them. */
export type ReportKind = "report_rqd_startup" | "report_status" | "report_running_frame_completion";

interface ReportBase {
  /** 1-based arrival order, unique per server: `waitFor(r => r.seq > n)` means "after report n". */
  readonly seq: number;
  /** Arrival time, epoch ms. */
  readonly receivedAt: number;
  /** RenderHost.name of the reporting host. */
  readonly hostName: string;
  /** With a handler: what it applied (e.g. "0001-render SUCCEEDED (exit 0), proc released"). */
  readonly applied?: string;
  /** With a handler: why applying failed (the RPC then failed with INTERNAL, so RQD retries). */
  readonly error?: string;
}

export type ReceivedReport =
  | (ReportBase & { readonly kind: "report_rqd_startup"; readonly report: BootReport })
  | (ReportBase & { readonly kind: "report_status"; readonly report: HostReport })
  | (ReportBase & { readonly kind: "report_running_frame_completion"; readonly report: FrameCompleteReport });

/** What the server knows about one host: the latest of each report kind. */
export interface HostState {
  readonly name: string;
  readonly boot?: BootReport;
  readonly lastStatus?: HostReport;
  /** Every completion report from this host, oldest first. */
  readonly completedFrames: readonly FrameCompleteReport[];
  readonly lastSeenAt: number;
}

export interface ReportServerOptions {
  /** Default 0 (ephemeral). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Injected clock for receivedAt/lastSeenAt. */
  readonly now?: () => number;
  /**
   * Applies each report before it is answered (createDbReportHandler: to a Cuebot database). A
   * handler failure is recorded and answered with INTERNAL, which RQD retries.
   */
  readonly handler?: ReportHandler;
}

export class WaitForTimeoutError extends Error {
  override readonly name = "WaitForTimeoutError";
}

export interface ReportServer {
  readonly port: number;
  /** host:port as bound. */
  readonly address: string;
  /** Every report received so far, in arrival order. */
  readonly received: readonly ReceivedReport[];
  /** Latest state per host name. */
  readonly hosts: ReadonlyMap<string, HostState>;
  /**
   * Every report, from the first one received, then live ones as they arrive; ends when the server closes.
   * Each call returns an independent iterator.
   */
  reports(): AsyncIterableIterator<ReceivedReport>;
  /** The first report (already received or arriving later) matching predicate; rejects with WaitForTimeoutError. */
  waitFor(predicate: (report: ReceivedReport) => boolean, timeoutMs: number): Promise<ReceivedReport>;
  /** Makes every call of one RPC fail with this code until cleared with undefined (for retry tests). */
  failWith(kind: ReportKind, code: Code | undefined): void;
  close(): Promise<void>;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function requireHostName(name: string | undefined, field: string): string {
  if (!name) throw new ConnectError(`${field}.host.name is required`, Code.InvalidArgument);
  return name;
}

/** A Cuebot stand-in serving report.RqdReportInterface: records every report and answers OK. */
export async function createReportServer(options: ReportServerOptions = {}): Promise<ReportServer> {
  const now = options.now ?? Date.now;
  const received: ReceivedReport[] = [];
  const hosts = new Map<string, HostState>();
  const failures = new Map<ReportKind, Code>();
  let closed = false;
  // Resolved and replaced on every arrival (and on close), so waiting iterators wake up.
  let arrival = deferred();

  const record = (report: ReceivedReport): void => {
    received.push(report);
    const prev = hosts.get(report.hostName);
    const base: HostState = prev ?? { name: report.hostName, completedFrames: [], lastSeenAt: report.receivedAt };
    const next: HostState =
      report.kind === "report_rqd_startup"
        ? { ...base, boot: report.report, lastSeenAt: report.receivedAt }
        : report.kind === "report_status"
          ? { ...base, lastStatus: report.report, lastSeenAt: report.receivedAt }
          : { ...base, completedFrames: [...base.completedFrames, report.report], lastSeenAt: report.receivedAt };
    hosts.set(report.hostName, next);
    arrival.resolve();
    arrival = deferred();
  };

  const gate = (kind: ReportKind): void => {
    const code = failures.get(kind);
    if (code !== undefined) throw new ConnectError(`dummy-cuebot: ${kind} set to fail`, code);
  };

  const base = () => ({ seq: received.length + 1, receivedAt: now() });

  // Without a handler a report is recorded at once; with one, after it was applied (seq is then the
  // order of application), so waitFor(...) sees the database already updated.
  const apply = async (report: ReceivedReport, run: (h: ReportHandler) => Promise<string>): Promise<void> => {
    const handler = options.handler;
    if (!handler) {
      record(report);
      return;
    }
    try {
      const applied = await run(handler);
      record({ ...report, seq: received.length + 1, applied });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      record({ ...report, seq: received.length + 1, error });
      throw new ConnectError(`dummy-cuebot could not apply ${report.kind}: ${error}`, Code.Internal);
    }
  };

  const server = await createGrpcServer({
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    closeGraceMs: 500,
    services: [
      bindService(RqdReportInterface, {
        reportRqdStartup: async (req) => {
          gate("report_rqd_startup");
          const report = req.bootReport;
          const hostName = requireHostName(report?.host?.name, "boot_report");
          await apply({ ...base(), kind: "report_rqd_startup", hostName, report: report! }, (h) => h.startup(report!));
          return {};
        },
        reportStatus: async (req) => {
          gate("report_status");
          const report = req.hostReport;
          const hostName = requireHostName(report?.host?.name, "host_report");
          await apply({ ...base(), kind: "report_status", hostName, report: report! }, (h) => h.status(report!));
          return {};
        },
        reportRunningFrameCompletion: async (req) => {
          gate("report_running_frame_completion");
          const report = req.frameCompleteReport;
          const hostName = requireHostName(report?.host?.name, "frame_complete_report");
          await apply({ ...base(), kind: "report_running_frame_completion", hostName, report: report! }, (h) => h.completion(report!));
          return {};
        },
      }),
    ],
  });

  async function* reports(): AsyncGenerator<ReceivedReport> {
    let next = 0;
    for (;;) {
      while (next < received.length) yield received[next++]!;
      if (closed) return;
      await arrival.promise;
    }
  }

  const waitFor = async (predicate: (r: ReceivedReport) => boolean, timeoutMs: number): Promise<ReceivedReport> => {
    const timeout = Symbol("timeout");
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<typeof timeout>((resolve) => (timer = setTimeout(() => resolve(timeout), timeoutMs)));
    const it = reports();
    try {
      for (;;) {
        const step = await Promise.race([it.next(), expired]);
        if (step === timeout) {
          throw new WaitForTimeoutError(`no matching report within ${timeoutMs} ms (${received.length} received)`);
        }
        if (step.done) throw new WaitForTimeoutError(`report server closed before a matching report arrived`);
        if (predicate(step.value)) return step.value;
      }
    } finally {
      clearTimeout(timer);
      // Not awaited: a generator parked on `arrival` only settles at the next arrival or close.
      void it.return(undefined);
    }
  };

  return {
    port: server.port,
    address: server.address,
    received,
    hosts,
    reports,
    waitFor,
    failWith: (kind, code) => {
      if (code === undefined) failures.delete(kind);
      else failures.set(kind, code);
    },
    close: async () => {
      await server.close();
      closed = true;
      arrival.resolve();
    },
  };
}
