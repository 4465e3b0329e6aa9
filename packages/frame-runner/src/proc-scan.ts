// After a frame's session leader is gone, readProcessTree has no root to start from; this finds what is
// left of the frame's session or process group directly in /proc (identity = pid + start ticks).
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

export interface ProcIdentity {
  pid: number;
  startTicks: number;
}

/** Fields after the parenthesised comm of /proc/PID/stat: [state, ppid, pgrp, session, …]; comm may hold spaces and ")". */
export function parseStatIds(stat: string): { pgrp: number; session: number; startTicks: number; state: string } | null {
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  const f = stat.slice(close + 2).split(" ");
  if (f.length < 20) return null;
  return { state: f[0]!, pgrp: Number(f[2]), session: Number(f[3]), startTicks: Number(f[19]) };
}

/**
 * Live (not zombie) processes whose session or process group is `leaderPid`. Synchronous on purpose: procfs
 * reads never wait on a disk, and here they were 8x faster than the same reads through the thread pool.
 */
export function findSessionMembers(leaderPid: number, procRoot = "/proc"): ProcIdentity[] {
  const out: ProcIdentity[] = [];
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${n}/stat`, "utf8");
    } catch {
      continue; // Exited meanwhile.
    }
    const ids = parseStatIds(text);
    if (ids && ids.state !== "Z" && ids.state !== "X" && (ids.session === leaderPid || ids.pgrp === leaderPid)) out.push({ pid: Number(n), startTicks: ids.startTicks });
  }
  return out;
}

/** Whether `pid` is still the same live process (same start ticks, not a zombie waiting to be reaped). */
export async function isLive(pid: number, startTicks: number, procRoot = "/proc"): Promise<boolean> {
  const text = await readFile(`${procRoot}/${pid}/stat`, "utf8").catch(() => null);
  const ids = text ? parseStatIds(text) : null;
  return ids !== null && ids.startTicks === startTicks && ids.state !== "Z" && ids.state !== "X";
}
