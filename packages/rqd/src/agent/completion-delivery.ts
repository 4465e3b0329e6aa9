// Completion reports, delivered in order and never lost: each is on disk (reporting/durable-queue.ts)
// before the frame is forgotten, and leaves the disk only when Cuebot has acknowledged it. A worker state
// machine (idle -> delivering -> waiting -> ...) sends the oldest first, one at a time; on a failure it
// stops the pass (so order holds) and retries after the delivery interval. A report Cuebot can never
// accept (INVALID_ARGUMENT, UNIMPLEMENTED) is moved aside for an admin instead of blocking the rest.
import { Code, ConnectError, FrameCompleteReportSchema, fromBinary, toBinary, type FrameCompleteReport } from "@opencue-ts/proto";
import { openDurableQueue, type DurableQueue } from "../reporting/durable-queue.js";

export type DeliveryState = "idle" | "delivering" | "waiting" | "stopped";

export const PERMANENT_CODES: ReadonlySet<Code> = new Set([Code.InvalidArgument, Code.Unimplemented]);

export interface CompletionDeliveryOptions {
  dir: string;
  send: (report: FrameCompleteReport, signal: AbortSignal) => Promise<void>;
  intervalMs: number;
  sendTimeoutMs: number;
  onDelivered?: (report: FrameCompleteReport) => void;
  onFailed?: (report: FrameCompleteReport, error: ConnectError, permanent: boolean) => void;
  onPass?: (summary: { delivered: number; remaining: number; ms: number }) => void;
}

export interface CompletionDelivery {
  /** Writes the report to disk (fsync) and wakes the worker. Resolves once it is durable. */
  enqueue(report: FrameCompleteReport): Promise<void>;
  /** Starts delivering (after the startup report was acknowledged: Cuebot must know the host first). */
  start(): void;
  /** Wakes the worker now (e.g. Cuebot just answered again). */
  kick(): void;
  /** Frame ids waiting for delivery. */
  pendingFrameIds(): Promise<Set<string>>;
  size(): number;
  state(): DeliveryState;
  /** Resolves when the queue is empty or after `ms`; true when empty. */
  drain(ms: number): Promise<boolean>;
  stop(): Promise<void>;
}

const codec = {
  encode: (r: FrameCompleteReport) => toBinary(FrameCompleteReportSchema, r),
  decode: (b: Uint8Array) => fromBinary(FrameCompleteReportSchema, b),
};

export async function openCompletionDelivery(opts: CompletionDeliveryOptions): Promise<CompletionDelivery> {
  const queue: DurableQueue<FrameCompleteReport> = await openDurableQueue(opts.dir, codec);
  let state: DeliveryState = "idle";
  let started = false;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let abort: AbortController | null = null;
  let running: Promise<void> = Promise.resolve();
  const emptyWaiters = new Set<() => void>();

  const notifyEmpty = () => {
    if (queue.size() > 0) return;
    for (const w of emptyWaiters) w();
    emptyWaiters.clear();
  };

  async function pass(): Promise<void> {
    const t0 = Date.now();
    let delivered = 0;
    let failed = false;
    for (const entry of await queue.entries()) {
      if (state === "stopped") return;
      abort = new AbortController();
      const timeout = setTimeout(() => abort?.abort(), opts.sendTimeoutMs);
      try {
        await opts.send(entry.item, abort.signal);
        await queue.ack(entry.seq);
        delivered++;
        opts.onDelivered?.(entry.item);
      } catch (e) {
        const err = ConnectError.from(e);
        const permanent = PERMANENT_CODES.has(err.code);
        opts.onFailed?.(entry.item, err, permanent);
        if (permanent) {
          await queue.reject(entry.seq, `Cuebot refused it: ${Code[err.code]}: ${err.rawMessage}`);
          continue;
        }
        failed = true;
        break;
      } finally {
        clearTimeout(timeout);
        abort = null;
      }
    }
    opts.onPass?.({ delivered, remaining: queue.size(), ms: Date.now() - t0 });
    notifyEmpty();
    if (failed) again = false;
    if (state === "stopped") return;
    if (again) {
      again = false;
      return pass();
    }
    // Failed, or nothing left: wait for a kick or the retry interval.
    state = failed ? "waiting" : "idle";
    if (failed) schedule();
  }

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      wake();
    }, opts.intervalMs);
  };

  function wake() {
    if (!started || state === "stopped") return;
    if (state === "delivering") {
      again = true;
      return;
    }
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    state = "delivering";
    running = pass().catch(() => {
      // Disk errors: keep the entries, try again later.
      state = "waiting";
      schedule();
    });
  }

  return {
    async enqueue(report) {
      await queue.enqueue(report);
      wake();
    },
    start() {
      started = true;
      wake();
    },
    kick: wake,
    async pendingFrameIds() {
      return new Set((await queue.entries()).map((e) => e.item.frame?.frameId ?? ""));
    },
    size: () => queue.size(),
    state: () => state,
    drain(ms) {
      if (queue.size() === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const done = () => {
          clearTimeout(t);
          resolve(true);
        };
        const t = setTimeout(() => {
          emptyWaiters.delete(done);
          resolve(queue.size() === 0);
        }, ms);
        emptyWaiters.add(done);
        wake();
      });
    },
    async stop() {
      state = "stopped";
      if (timer) clearTimeout(timer);
      abort?.abort();
      await running.catch(() => undefined);
    },
  };
}
