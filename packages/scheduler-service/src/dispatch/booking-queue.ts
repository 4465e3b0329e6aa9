// One booking statement at a time per process, carrying the batches of every pass that is ready.
// Concurrent passes of one show plan frames of the same jobs on overlapping hosts (a host carries an
// allocation tag and manual tags, so it is in several clusters): their statements, run side by side,
// would queue on the same job_stat and layer_stat rows, and each would refuse the frames of hosts
// whose advisory lock the other holds (host_locked). Merged into one statement, the frames of a
// shared host are checked against its room in order instead, and the rows every booking writes
// (trigger-maintained stats, subscription, folder, point) are written once per statement, not once
// per pass. While a statement runs, the next batches gather, so a busy process books in larger
// statements and a quiet one books at once.
//
// A batch is never split: it goes whole into one statement, in the order batches arrived, so each
// batch keeps its priority order within the statement's running sums. Each submitter gets the outcome
// of its own frames; an aborted statement (nothing written) is reported to every batch in it.
import type { BatchOutcome, BatchRefusal } from "../db/batch-booking.js";
import type { FrameBooking } from "../db/booking.js";
import type { HostIdle } from "./host-cache.js";

export interface BookingQueueOptions {
  /** Most frames in one statement (queue.booking_batch_size); a larger batch runs alone. */
  readonly maxFrames: number;
  /** Runs one statement (bookFrames). */
  readonly run: (list: readonly FrameBooking[]) => Promise<BatchOutcome>;
}

export interface BookingQueue {
  /** Books the batch in the next statement that has room for it. */
  book(list: readonly FrameBooking[]): Promise<BatchOutcome>;
  /** Statements run so far, and the batches they carried. */
  readonly stats: { readonly statements: number; readonly batches: number };
}

interface Waiting {
  readonly list: readonly FrameBooking[];
  resolve(o: BatchOutcome): void;
  reject(e: unknown): void;
}

export function createBookingQueue(options: BookingQueueOptions): BookingQueue {
  const waiting: Waiting[] = [];
  let running = false;
  const stats = { statements: 0, batches: 0 };

  /** The batches of the next statement: in arrival order while they fit, never a frame twice. */
  function take(): Waiting[] {
    const out: Waiting[] = [];
    const frames = new Set<string>();
    let size = 0;
    for (let i = 0; i < waiting.length; ) {
      const w = waiting[i]!;
      const fits = out.length === 0 || size + w.list.length <= options.maxFrames;
      if (!fits) break;
      if (w.list.some((b) => frames.has(b.frameId))) {
        i++; // the same frame twice would abort the statement: this batch waits for the next one
        continue;
      }
      for (const b of w.list) frames.add(b.frameId);
      size += w.list.length;
      out.push(w);
      waiting.splice(i, 1);
    }
    return out;
  }

  function pump(): void {
    if (running || waiting.length === 0) return;
    const group = take();
    running = true;
    stats.statements++;
    stats.batches += group.length;
    const all = group.length === 1 ? group[0]!.list : group.flatMap((w) => w.list);
    options.run(all).then((outcome) => {
      for (const w of group) w.resolve(group.length === 1 ? outcome : share(outcome, w.list));
    }, (e: unknown) => {
      for (const w of group) w.reject(e);
    }).finally(() => {
      running = false;
      pump();
    });
  }

  return {
    stats,
    book(list) {
      if (list.length === 0) return Promise.resolve({ kind: "ran", booked: new Map(), refused: new Map(), hosts: new Map() });
      return new Promise<BatchOutcome>((resolve, reject) => {
        waiting.push({ list, resolve, reject });
        pump();
      });
    },
  };
}

/** One batch's part of a statement's outcome. */
function share(outcome: BatchOutcome, list: readonly FrameBooking[]): BatchOutcome {
  if (outcome.kind === "aborted") return outcome;
  const booked = new Map<string, number>();
  const refused = new Map<string, BatchRefusal>();
  const hosts = new Map<string, HostIdle>();
  for (const b of list) {
    const v = outcome.booked.get(b.frameId);
    if (v !== undefined) {
      booked.set(b.frameId, v);
      const h = outcome.hosts.get(b.hostId);
      if (h) hosts.set(b.hostId, h);
      continue;
    }
    const why = outcome.refused.get(b.frameId);
    if (why !== undefined) refused.set(b.frameId, why);
  }
  return { kind: "ran", booked, refused, hosts };
}
