// Frames this process has booked or is booking. Another pass whose read predates the commit still sees
// such a frame WAITING and would plan it only to have the booking refused (clusters share layers, and
// a pass's reads take longer than another's booking), so passes leave claimed frames out of their
// snapshot. Planning input only: the booking guards stay the authority, and a claim lapses after
// `ttlMs` whatever happened to the frame.
export interface FrameClaims {
  /** Claims frames for ttlMs from now (a claim again extends it). */
  claim(frameIds: Iterable<string>): void;
  /** Drops claims (frames that were not booked and may be planned again at once). */
  release(frameIds: Iterable<string>): void;
  /** Whether a frame is claimed now; drops lapsed claims as it meets them. */
  has(frameId: string): boolean;
  /** Drops every lapsed claim; returns how many remain. */
  prune(): number;
  readonly size: number;
}

export function createFrameClaims(o: { ttlMs: number; now?: () => number }): FrameClaims {
  const now = o.now ?? (() => performance.now());
  const until = new Map<string, number>();
  return {
    claim(ids) {
      const t = now() + o.ttlMs;
      for (const id of ids) until.set(id, t);
    },
    release(ids) {
      for (const id of ids) until.delete(id);
    },
    has(id) {
      const t = until.get(id);
      if (t === undefined) return false;
      if (t > now()) return true;
      until.delete(id);
      return false;
    },
    prune() {
      const t = now();
      for (const [id, u] of until) if (u <= t) until.delete(id);
      return until.size;
    },
    get size() {
      return until.size;
    },
  };
}
