// The process's booking statements: the frames of every pass that is ready, carried by a few
// statements at a time, never two at once that could get in each other's way.
//
// Concurrent passes of one show plan frames of the same jobs on overlapping hosts (a host carries an
// allocation tag and manual tags, so it is in several clusters). Two statements sharing a job queue on
// its job_stat and layer_stat rows (Cuebot's frame trigger writes them, one frame at a time), and two
// sharing a host refuse each other's frames (host_locked: the advisory try-lock). So the waiting frames
// are put in cells by job and by host: with S statements, a frame's cell is (job class, host class),
// each class one of S by hash. A round runs S cells that share no job class and no host class (cells
// (j, j + r mod S) in round r) side by side, each statement on its own connection, and the next round
// starts when the whole round is done; rounds take turns, so no cell waits more than S rounds. The rows
// every booking of a show shares (subscription, folder, point) are written by each statement's short
// second part (db/batch-booking.ts), where concurrent statements wait for each other only briefly.
// With little waiting (fewer than SPLIT_MIN frames) and nothing running, everything goes into one
// statement instead: a statement's fixed cost is worth a few frames. With S = 1 there is one cell:
// one statement at a time, in arrival order.
//
// While statements run, the next frames gather, so a busy process books in larger statements and a
// quiet one books at once. Frames keep their arrival order within a statement (its running sums check
// them in that order); a frame already in the statement being formed (two passes planned it) waits for
// a later one. Each submitter gets the outcome of its own frames. A batch carried by one statement gets
// that statement's outcome as it is (an aborted statement wrote nothing); a batch split over several
// gets the frames of the ones that aborted or failed refused as statement_aborted (nothing was written
// for them), unless none ran: then the first abort, or the first error.
import type { BatchOutcome, BatchRefusal } from "../db/batch-booking.js";
import type { FrameBooking } from "../db/booking.js";
import type { HostIdle } from "./host-cache.js";

export interface BookingQueueOptions {
  /** Most frames in one statement (queue.booking_batch_size). */
  readonly maxFrames: number;
  /** Most statements running at once (queue.booking_statements, default 1). */
  readonly statements?: number;
  /** Runs one statement (bookFrames). */
  readonly run: (list: readonly FrameBooking[]) => Promise<BatchOutcome>;
  /** Fewer waiting frames than this go into one statement when nothing runs (default SPLIT_MIN). */
  readonly splitMin?: number;
  /** Clock for the busy times in stats (ms; default performance.now). */
  readonly now?: () => number;
}

export interface BookingQueue {
  /** Books the batch in the next statements that have room for it. */
  book(list: readonly FrameBooking[]): Promise<BatchOutcome>;
  /**
   * Statements run so far, the batches they carried (a batch counts once per statement), rounds; the
   * time with at least one statement running and the statements' summed running time (their ratio is
   * how many ran side by side on average).
   */
  readonly stats: { readonly statements: number; readonly batches: number; readonly rounds: number; readonly busyMs: number; readonly statementMs: number };
}

/** Below this many waiting frames one statement takes them all (when nothing else runs). */
export const SPLIT_MIN = 64;

/** A batch's frames in one statement (numbered in start order) and how that statement ended. */
type Part = { readonly list: readonly FrameBooking[]; readonly seq: number } & ({ readonly outcome: BatchOutcome } | { readonly error: unknown });

interface Entry {
  /** Frames not yet given to a statement. */
  unsent: number;
  running: number;
  readonly parts: Part[];
  resolve(o: BatchOutcome): void;
  reject(e: unknown): void;
}

interface Item {
  readonly b: FrameBooking;
  readonly entry: Entry;
  /** Arrival order across cells. */
  readonly seq: number;
}

/** FNV-1a: a cheap, stable hash of an id. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The cell a frame goes to with `statements` statements (exported for tests). */
export function cellOf(b: Pick<FrameBooking, "jobId" | "hostId">, statements: number): number {
  return statements === 1 ? 0 : (hash(b.jobId) % statements) * statements + (hash(b.hostId) % statements);
}

export function createBookingQueue(options: BookingQueueOptions): BookingQueue {
  const lanes = Math.max(1, Math.floor(options.statements ?? 1));
  const splitMin = options.splitMin ?? SPLIT_MIN;
  // cells[jobClass * lanes + hostClass]: waiting frames in arrival order.
  const cells: Item[][] = Array.from({ length: lanes * lanes }, () => []);
  let waitingFrames = 0;
  let running = 0;
  let nextRound = 0;
  let arrivals = 0;
  // Host id -> the last statement that reported the host's idle values. A batch resolves when its
  // last statement ends; by then a later statement (another batch's) may have booked on a host the
  // batch's earlier statement reported, and that older value must not reach the caller's host cache.
  const latest = new Map<string, number>();
  const now = options.now ?? (() => performance.now());
  const stats = { statements: 0, batches: 0, rounds: 0, busyMs: 0, statementMs: 0 };
  let busySince = 0;


  /**
   * Up to maxFrames waiting frames of the given cells, oldest first, never a frame twice; they leave
   * their cells.
   */
  function take(which: readonly number[]): Item[] {
    const from = which.length === 1 ? cells[which[0]!]! : which.flatMap((i) => cells[i]!).sort((x, y) => x.seq - y.seq);
    const out: Item[] = [];
    const frames = new Set<string>();
    for (const item of from) {
      if (out.length >= options.maxFrames) break;
      if (frames.has(item.b.frameId)) continue; // the same frame twice would abort the statement: it waits for the next one
      frames.add(item.b.frameId);
      out.push(item);
    }
    const gone = new Set(out);
    for (const i of which) cells[i] = cells[i]!.filter((x) => !gone.has(x));
    return out;
  }

  function start(items: Item[]): void {
    const entries = new Map<Entry, FrameBooking[]>();
    for (const { b, entry } of items) {
      let list = entries.get(entry);
      if (!list) entries.set(entry, (list = []));
      list.push(b);
    }
    for (const [entry, list] of entries) {
      entry.unsent -= list.length;
      entry.running++;
    }
    waitingFrames -= items.length;
    const t0 = now();
    if (running++ === 0) busySince = t0;
    stats.statements++;
    stats.batches += entries.size;
    const all = items.map((x) => x.b);
    const seq = stats.statements;
    const done = (part: (list: FrameBooking[]) => Part): void => {
      const t1 = now();
      stats.statementMs += t1 - t0;
      if (--running === 0) stats.busyMs += t1 - busySince;
      for (const [entry, list] of entries) {
        entry.parts.push(part(list));
        entry.running--;
        if (entry.unsent === 0 && entry.running === 0) finish(entry, latest);
      }
      pump();
    };
    options.run(all).then((outcome) => {
      if (outcome.kind === "ran") for (const h of outcome.hosts.keys()) latest.set(h, seq);
      done((list) => ({ list, seq, outcome }));
    }, (error: unknown) => done((list) => ({ list, seq, error })));
  }

  function pump(): void {
    if (running > 0 || waitingFrames === 0) return;
    if (lanes === 1 || waitingFrames < splitMin) {
      stats.rounds++;
      start(take(cells.map((_, i) => i)));
      return;
    }
    // The next round (in turn) that has waiting frames.
    for (let k = 0; k < lanes; k++) {
      const r = (nextRound + k) % lanes;
      const round = Array.from({ length: lanes }, (_, j) => j * lanes + ((j + r) % lanes)).filter((i) => cells[i]!.length > 0);
      if (round.length === 0) continue;
      nextRound = (r + 1) % lanes;
      stats.rounds++;
      for (const i of round) start(take([i]));
      return;
    }
  }

  return {
    stats,
    book(list) {
      if (list.length === 0) return Promise.resolve({ kind: "ran", booked: new Map(), refused: new Map(), hosts: new Map() });
      return new Promise<BatchOutcome>((resolve, reject) => {
        const entry: Entry = { unsent: list.length, running: 0, parts: [], resolve, reject };
        for (const b of list) cells[cellOf(b, lanes)]!.push({ b, entry, seq: arrivals++ });
        waitingFrames += list.length;
        pump();
      });
    },
  };
}

/** Resolves a batch from the parts of the statements that carried it. */
function finish(entry: Entry, latest: ReadonlyMap<string, number>): void {
  const { parts } = entry;
  const ran = parts.filter((p): p is Extract<Part, { outcome: BatchOutcome }> => "outcome" in p && p.outcome.kind === "ran");
  if (parts.length === 1 || ran.length === 0) {
    const first = parts.find((p) => "outcome" in p) as Extract<Part, { outcome: BatchOutcome }> | undefined;
    if (parts.length === 1) {
      const p = parts[0]!;
      if ("error" in p) entry.reject(p.error);
      else entry.resolve(share(p.outcome, p.list, (h) => latest.get(h) === p.seq));
      return;
    }
    if (first) entry.resolve(first.outcome);
    else entry.reject((parts[0] as Extract<Part, { error: unknown }>).error);
    return;
  }
  const booked = new Map<string, number>();
  const refused = new Map<string, BatchRefusal>();
  const hosts = new Map<string, HostIdle>();
  for (const p of parts) {
    if ("outcome" in p && p.outcome.kind === "ran") {
      const s = share(p.outcome, p.list, (h) => latest.get(h) === p.seq);
      if (s.kind !== "ran") continue;
      for (const [k, v] of s.booked) booked.set(k, v);
      for (const [k, v] of s.refused) refused.set(k, v);
      for (const [k, v] of s.hosts) hosts.set(k, v);
    } else {
      for (const b of p.list) refused.set(b.frameId, "statement_aborted");
    }
  }
  entry.resolve({ kind: "ran", booked, refused, hosts });
}

/** One batch's part of a statement's outcome, with the host values that are still the newest. */
function share(outcome: BatchOutcome, list: readonly FrameBooking[], fresh: (hostId: string) => boolean): BatchOutcome {
  if (outcome.kind === "aborted") return outcome;
  const booked = new Map<string, number>();
  const refused = new Map<string, BatchRefusal>();
  const hosts = new Map<string, HostIdle>();
  for (const b of list) {
    const v = outcome.booked.get(b.frameId);
    if (v !== undefined) {
      booked.set(b.frameId, v);
      const h = outcome.hosts.get(b.hostId);
      if (h && fresh(b.hostId)) hosts.set(b.hostId, h);
      continue;
    }
    const why = outcome.refused.get(b.frameId);
    if (why !== undefined) refused.set(b.frameId, why);
  }
  return { kind: "ran", booked, refused, hosts };
}
