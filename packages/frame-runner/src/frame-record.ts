// The on-disk record of a running frame, so a restarted agent re-adopts it (pid plus start time, so a
// reused pid is never adopted) or learns how it ended while the agent was down.
import { mkdir, readdir, readFile, rename, rm, open } from "node:fs/promises";
import { join } from "node:path";
import type { FrameSpec } from "./frame-spec.js";

export interface FrameRecord {
  version: 1;
  spec: FrameSpec;
  pid: number;
  /** /proc start time of pid, in clock ticks since boot: with pid, the frame's identity. */
  startTicks: number;
  /** Epoch ms the frame started. */
  startedAt: number;
  logPath: string;
  rawPath: string;
  exitPath: string;
  /** Raw output bytes already copied into the log. */
  rawOffset: number;
  killReason: string | null;
  killCause: string | null;
  /** The frame's cgroup, null when it has none. */
  cgroupDir: string | null;
  cgroupMemoryLimited: boolean;
  /** Whether the runner created frameTempDir (and so removes it at the end). */
  createdTempDir: boolean;
  terminal: "pipe" | "pty";
}

export const recordPath = (stateDir: string, frameId: string) => join(stateDir, `${frameId}.frame.json`);

let tmpCounter = 0;

/** Written atomically (temp file, fsync, rename) so a crash never leaves half a record. */
export async function writeFrameRecord(stateDir: string, record: FrameRecord): Promise<void> {
  const path = recordPath(stateDir, record.spec.frameId);
  // Unique per write: a monitor tick and a kill may update the same record at once.
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(JSON.stringify(record));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export async function removeFrameRecord(stateDir: string, frameId: string): Promise<void> {
  await rm(recordPath(stateDir, frameId), { force: true });
}

export async function readFrameRecords(stateDir: string): Promise<{ records: FrameRecord[]; unreadable: { file: string; error: string }[] }> {
  await mkdir(stateDir, { recursive: true });
  const records: FrameRecord[] = [];
  const unreadable: { file: string; error: string }[] = [];
  const names = await readdir(stateDir);
  // Half-written temp files of an agent that died mid-write.
  await Promise.all(names.filter((n) => n.endsWith(".tmp")).map((n) => rm(join(stateDir, n), { force: true })));
  for (const name of names.filter((n) => n.endsWith(".frame.json")).sort()) {
    try {
      const r = JSON.parse(await readFile(join(stateDir, name), "utf8")) as FrameRecord;
      if (r.version !== 1 || typeof r.pid !== "number" || typeof r.startTicks !== "number" || !r.spec?.frameId) throw new Error("not a frame record");
      records.push({ ...r, cgroupDir: r.cgroupDir ?? null, cgroupMemoryLimited: r.cgroupMemoryLimited ?? false, createdTempDir: r.createdTempDir ?? false, terminal: r.terminal ?? "pipe" });
    } catch (e) {
      unreadable.push({ file: join(stateDir, name), error: (e as Error).message });
    }
  }
  return { records, unreadable };
}

