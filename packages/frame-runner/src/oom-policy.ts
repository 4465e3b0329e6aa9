// The host-level OOM policy of the reference RQD, as a pure function: when the machine's memory use passes
// the margin, choose which frames to kill. Same scoring (memory impact ×10, overboard ×7, recency ×12),
// but every quantity in KiB (the reference mixes KiB and bytes).

export const OOM_KILL_REASON = "Frame killed to free up memory. Machine was falling under OOM pressure";

export interface HostMemory {
  totalKb: number;
  /** Available memory (MemAvailable), KiB. */
  freeKb: number;
}

export interface OomCandidate {
  frameId: string;
  rssKb: number;
  maxRssKb: number;
  softMemoryLimitKb: number;
  /** Seconds the frame has been running. */
  runTimeSeconds: number;
}

export interface OomVictim {
  frameId: string;
  score: number;
  consumedKb: number;
}

export interface OomDecision {
  usagePercent: number;
  triggered: boolean;
  /** KiB to free to get back under (margin − 5) %. */
  toFreeKb: number;
  /** In kill order. */
  victims: OomVictim[];
}

/**
 * Only "memory aggressors" (soft limit set and current RSS above it) are candidates; each consumes its
 * max RSS. Kill in score order until the memory to free is covered (the one crossing the target included).
 */
export function selectFramesToKill(host: HostMemory, frames: readonly OomCandidate[], opts: { marginPercent?: number } = {}): OomDecision {
  const margin = opts.marginPercent ?? 96;
  const usagePercent = host.totalKb > 0 ? Math.floor(((host.totalKb - host.freeKb) / host.totalKb) * 100) : 0;
  if (usagePercent <= margin) return { usagePercent, triggered: false, toFreeKb: 0, victims: [] };
  const targetKb = (host.totalKb * (margin - 5)) / 100;
  const toFreeKb = Math.max(0, (host.totalKb * usagePercent) / 100 - targetKb);
  const candidates = frames.filter((f) => f.softMemoryLimitKb > 0 && f.rssKb > f.softMemoryLimitKb);
  if (candidates.length === 0) return { usagePercent, triggered: true, toFreeKb, victims: [] };

  const total = candidates.reduce((s, f) => s + f.maxRssKb, 0);
  const longest = Math.max(...candidates.map((f) => f.runTimeSeconds));
  const raw = candidates.map((f) => ({
    f,
    impact: total > 0 ? f.maxRssKb / total : 0,
    overboard: (f.maxRssKb - f.softMemoryLimitKb) / f.softMemoryLimitKb,
    // Newer frames score higher: they have lost the least work.
    recency: longest > 0 ? (longest - f.runTimeSeconds) / longest : 0,
  }));
  // Each factor normalised by its maximum; a factor that is 0 everywhere contributes nothing (no NaN).
  const norm = (k: "impact" | "overboard" | "recency") => {
    const max = Math.max(...raw.map((r) => r[k]));
    return (v: number) => (max > 0 ? v / max : 0);
  };
  const [ni, no, nr] = [norm("impact"), norm("overboard"), norm("recency")];
  const scored = raw
    .map((r) => ({ frameId: r.f.frameId, consumedKb: r.f.maxRssKb, score: 10 * ni(r.impact) + 7 * no(r.overboard) + 12 * nr(r.recency) }))
    .sort((a, b) => b.score - a.score);
  const victims: OomVictim[] = [];
  let left = toFreeKb;
  for (const v of scored) {
    if (left <= 0) break;
    victims.push(v);
    left -= v.consumedKb;
  }
  return { usagePercent, triggered: true, toFreeKb, victims };
}
