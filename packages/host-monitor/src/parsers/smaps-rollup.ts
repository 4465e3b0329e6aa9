import { parseKbValue, splitKeyValue } from "./text.js";

/** /proc/PID/smaps_rollup (kernel >= 4.14): proportional set size and friends, all kB. */
export interface SmapsRollup {
  rssKb: number;
  pssKb: number;
  /** PSS of anonymous memory (kernel >= 5.9), null when the line is absent. */
  pssAnonKb: number | null;
  swapKb: number;
  swapPssKb: number;
  sharedCleanKb: number;
  sharedDirtyKb: number;
  privateCleanKb: number;
  privateDirtyKb: number;
}

const KEYS: Record<string, keyof SmapsRollup> = {
  Rss: "rssKb",
  Pss: "pssKb",
  Pss_Anon: "pssAnonKb",
  Swap: "swapKb",
  SwapPss: "swapPssKb",
  Shared_Clean: "sharedCleanKb",
  Shared_Dirty: "sharedDirtyKb",
  Private_Clean: "privateCleanKb",
  Private_Dirty: "privateDirtyKb",
};

/**
 * Returns null for an empty file: the kernel gives an empty smaps_rollup for kernel threads and
 * zombies (no address space), which is "no PSS", not an error.
 */
export function parseSmapsRollup(text: string, file = "/proc/PID/smaps_rollup"): SmapsRollup | null {
  if (text.trim() === "") return null;
  const out: SmapsRollup = { rssKb: 0, pssKb: 0, pssAnonKb: null, swapKb: 0, swapPssKb: 0, sharedCleanKb: 0, sharedDirtyKb: 0, privateCleanKb: 0, privateDirtyKb: 0 };
  const lines = text.split("\n");
  // Line 1 is the "[rollup]" address-range header.
  for (let i = 1; i < lines.length; i++) {
    const kv = splitKeyValue(lines[i] as string);
    if (!kv) continue;
    const key = KEYS[kv[0]];
    if (key) out[key] = parseKbValue(kv[1], file, i + 1, kv[0]);
  }
  return out;
}
