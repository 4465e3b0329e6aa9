// Runs frames: launch one as its user in its own session, copy its output into the RQD log, sample its
// process tree, enforce its hard memory limit, kill its whole tree on request and report the exact end.
// Each frame is an explicit state machine: launching -> running -> killing -> exited.
import { spawn } from "node:child_process";
import { constants as fsc, existsSync, readFileSync } from "node:fs";
import { chown, mkdir, open, readFile, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { readProcessStartTicks, readProcessTree, toChildrenProcStats, type ProcessTreeSample } from "@opencue-ts/host-monitor";
import { interpretExit } from "./exit-status.js";
import { buildFrameEnvironment } from "./frame-environment.js";
import { formatFooter, formatHeader, frameLogPath, rotatedLogName, type FooterProcess } from "./frame-log.js";
import { readFrameRecords, removeFrameRecord, writeFrameRecord, type FrameRecord } from "./frame-record.js";
import { FrameSpecError, validateFrameSpec, type FrameExit, type FrameSpec, type FrameStats, type KillCause } from "./frame-spec.js";
import { createOutputTailer, type OutputTailer } from "./output-tailer.js";

export type FrameState = "launching" | "running" | "killing" | "exited";

export interface FrameEvent {
  frameId: string;
  level: "info" | "warn" | "error";
  message: string;
}

export interface FrameRunnerOptions {
  /** Host name written into the log and the frame environment (jobhost). */
  hostName: string;
  /** Where running-frame records, raw output and exit files live (runner.snapshots_path). */
  stateDir: string;
  shellPath?: string;
  /** Switch to the frame's uid/gid when the agent runs as root (runner.run_as_user). Default true. */
  runAsUser?: boolean;
  /** Allow frames with uid 0. Default false. */
  allowRootFrames?: boolean;
  defaultUid?: number;
  defaultGid?: number;
  prependTimestamp?: boolean;
  useHostPath?: boolean;
  /** Environment frames inherit (default: the agent's). */
  inheritEnvironment?: NodeJS.ProcessEnv;
  /** Niceness for frames (runner.desktop_mode uses 10). */
  niceness?: number;
  killGraceMs?: number;
  monitorIntervalMs?: number;
  tailIntervalMs?: number;
  /** Kill a frame whose memory passes its hard limit. Default true. */
  enforceHardLimit?: boolean;
  now?: () => number;
  onEvent?: (e: FrameEvent) => void;
}

export interface RunningFrame {
  readonly spec: FrameSpec;
  readonly pid: number;
  readonly logPath: string;
  /** Whether this runner started the frame, or re-adopted it after an agent restart. */
  readonly adopted: boolean;
  state(): FrameState;
  stats(): FrameStats;
  /** Kills the frame's whole process tree; resolves once it has ended. The first reason given wins. */
  kill(reason: string, cause?: KillCause): Promise<FrameExit>;
  readonly exited: Promise<FrameExit>;
}

export interface FinishedWhileDown {
  spec: FrameSpec;
  exit: FrameExit;
  logPath: string;
}

export interface FrameRunner {
  launch(spec: FrameSpec): Promise<RunningFrame>;
  /** Re-adopts frames recorded in stateDir that still run; reports those that ended while the agent was down. */
  recover(): Promise<{ adopted: RunningFrame[]; finished: FinishedWhileDown[]; problems: string[] }>;
  running(): RunningFrame[];
}

/** A frame that could not be started (log, user, spawn); RQD reports it as exit 1 / signal 10. */
export class FrameLaunchError extends Error {
  constructor(message: string, readonly frameId: string) {
    super(message);
    this.name = "FrameLaunchError";
  }
}

// The wrapper is the frame's session leader. It runs the command as a child, forwards TERM/INT/HUP to it,
// waits for its real end and writes the exit status to fd 3 (a file the agent opened), so a re-adopted
// frame's end is known even though it is not the new agent's child.
const WRAPPER = [
  'shell=$1; cmd=$2',
  '"$shell" -c "$cmd" 3>&- &',
  "child=$!",
  "trap 'kill -TERM $child 2>/dev/null' TERM",
  "trap 'kill -INT $child 2>/dev/null' INT",
  "trap 'kill -HUP $child 2>/dev/null' HUP",
  "wait $child; rc=$?",
  "while kill -0 $child 2>/dev/null; do wait $child; rc=$?; done",
  "echo $rc >&3",
  "exit $rc",
].join("\n");

function lookupHome(uid: number): string | null {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f.length >= 7 && Number(f[2]) === uid) return f[5] || null;
    }
  } catch {
    // No passwd file (containers): leave HOME as inherited.
  }
  return null;
}

const findBinary = (name: string) => ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"].map((d) => join(d, name)).find((p) => existsSync(p)) ?? null;

const alive = async (pid: number, startTicks: number) => (await readProcessStartTicks(pid)) === startTicks;

export function createFrameRunner(opts: FrameRunnerOptions): FrameRunner {
  const now = opts.now ?? Date.now;
  const shellPath = opts.shellPath ?? "/bin/bash";
  const killGraceMs = opts.killGraceMs ?? 10_000;
  const monitorIntervalMs = opts.monitorIntervalMs ?? 1000;
  const tailIntervalMs = opts.tailIntervalMs ?? 250;
  const frames = new Map<string, RunningFrame>();
  const emit = (frameId: string, level: FrameEvent["level"], message: string) => opts.onEvent?.({ frameId, level, message });
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const taskset = findBinary("taskset");

  async function openLog(spec: FrameSpec, path: string, uid: number, gid: number): Promise<FileHandle> {
    try {
      await mkdir(spec.logDir, { recursive: true });
      if (existsSync(path)) await rename(path, rotatedLogName(path, existsSync));
      const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_APPEND, 0o664);
      if (isRoot) await fh.chown(uid, gid);
      return fh;
    } catch (e) {
      throw new FrameLaunchError(`cannot create the frame log ${path}: ${(e as Error).message} (agent uid ${process.getuid?.()}, frame uid ${uid})`, spec.frameId);
    }
  }

  /** Everything after the process exists: state, sampling, tailing, kill, end. Shared by launch and recover. */
  function track(init: { spec: FrameSpec; pid: number; startTicks: number; startedAt: number; logPath: string; log: FileHandle; tailer: OutputTailer; record: FrameRecord; childExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null }): RunningFrame {
    const { spec, pid, startTicks, startedAt, logPath, log, tailer, record, childExit } = init;
    let state: FrameState = "running";
    let last: ProcessTreeSample | null = null;
    let killReason: string | null = record.killReason;
    let killCause: KillCause | null = record.killCause as KillCause | null;
    const peak = { rss: 0, pss: 0, vsize: 0 };
    let sampling: Promise<void> = Promise.resolve();
    let resolveExit!: (e: FrameExit) => void;
    const exited = new Promise<FrameExit>((r) => (resolveExit = r));

    const sample = async () => {
      const tree = await readProcessTree(pid);
      if (!tree || state === "exited") return;
      last = tree;
      peak.rss = Math.max(peak.rss, tree.rssKb);
      peak.pss = Math.max(peak.pss, tree.pssKb);
      peak.vsize = Math.max(peak.vsize, tree.vsizeKb);
      if ((opts.enforceHardLimit ?? true) && spec.hardMemoryLimitKb > 0 && tree.rssKb > spec.hardMemoryLimitKb && state === "running") {
        void frame.kill(`frame used ${tree.rssKb} KB of memory, over its hard limit of ${spec.hardMemoryLimitKb} KB`, "memory-limit");
      }
    };
    const monitor = setInterval(() => {
      sampling = sampling.then(sample).catch((e: Error) => emit(spec.frameId, "warn", `sampling failed: ${e.message}`));
      record.rawOffset = tailer.offset;
      void writeFrameRecord(opts.stateDir, record).catch((e: Error) => emit(spec.frameId, "warn", `record update failed: ${e.message}`));
    }, monitorIntervalMs);
    const tail = setInterval(() => void tailer.pump().catch((e: Error) => emit(spec.frameId, "warn", `log copy failed: ${e.message}`)), tailIntervalMs);
    monitor.unref?.();
    tail.unref?.();
    void sampling.then(sample);

    const signalTree = (signal: NodeJS.Signals) => {
      try {
        process.kill(-pid, signal);
      } catch {
        // The group is gone already.
      }
      // Members that left the session or group (setsid, setpgid) are still in the tree sample.
      for (const p of last?.processes ?? []) {
        try {
          process.kill(p.pid, signal);
        } catch {
          // Already gone.
        }
      }
    };

    const finish = async (code: number | null, signal: NodeJS.Signals | null, source: FrameExit["source"]) => {
      clearInterval(monitor);
      clearInterval(tail);
      await sampling.catch(() => undefined);
      // Whatever the frame left behind in its tree is killed: a finished frame holds no resources.
      const leftovers: number[] = [];
      for (const p of last?.processes ?? []) {
        if (p.pid !== pid && (await alive(p.pid, p.startTicks))) {
          leftovers.push(p.pid);
          try {
            process.kill(p.pid, "SIGKILL");
          } catch {
            // Raced with its own exit.
          }
        }
      }
      await tailer.pump(true).catch(() => undefined);
      await tailer.close();
      const endedAt = now();
      const { exitStatus, exitSignal } = interpretExit(code, signal, killCause === "memory-limit" || killCause === "oom");
      const exit: FrameExit = {
        exitStatus, exitSignal, runTimeSeconds: Math.max(0, Math.round((endedAt - startedAt) / 1000)), maxRssKb: peak.rss,
        killedBy: killCause, killReason, startedAt, endedAt, source,
      };
      const processes: FooterProcess[] = (last?.processes ?? []).map((p) => ({ pid: p.pid, name: p.name, state: p.state, cmdline: p.cmdline, rssKb: p.rssKb, startTime: p.startTime }));
      let notes = "";
      if (killReason) notes += `\nFrame killed: ${killReason}\n`;
      if (leftovers.length) notes += `\nKilled ${leftovers.length} process(es) the frame left running: ${leftovers.join(", ")}\n`;
      await log.appendFile(notes + formatFooter(exit, processes)).catch((e: Error) => emit(spec.frameId, "warn", `footer not written: ${e.message}`));
      await log.close().catch(() => undefined);
      await Promise.all([rm(record.rawPath, { force: true }), rm(record.exitPath, { force: true })]);
      await removeFrameRecord(opts.stateDir, spec.frameId);
      state = "exited";
      frames.delete(spec.frameId);
      emit(spec.frameId, "info", `frame ended: exit status ${exit.exitStatus}, signal ${exit.exitSignal}${killReason ? ` (${killReason})` : ""}`);
      resolveExit(exit);
    };

    if (childExit) {
      void childExit.then(({ code, signal }) => finish(code, signal, "wait"));
    } else {
      // Not our child: poll its identity, then read the status the wrapper wrote.
      const poll = setInterval(async () => {
        if (await alive(pid, startTicks)) return;
        clearInterval(poll);
        const code = await readExitFile(record.exitPath);
        void finish(code ?? 1, null, code === null ? "unknown" : "exit-file");
      }, Math.min(500, monitorIntervalMs));
    }

    const frame: RunningFrame = {
      spec, pid, logPath, adopted: childExit === null, exited,
      state: () => state,
      stats(): FrameStats {
        const t = last;
        return {
          pid, startTime: startedAt, rssKb: t?.rssKb ?? 0, maxRssKb: peak.rss, pssKb: t?.pssKb ?? 0, maxPssKb: peak.pss,
          vsizeKb: t?.vsizeKb ?? 0, maxVsizeKb: peak.vsize, swapKb: t?.swapKb ?? 0, cpuSeconds: t?.cpuSeconds ?? 0,
          processCount: t?.processes.length ?? 0, lluTime: Math.floor((tailer.lastOutputAt || startedAt) / 1000),
          children: t ? toChildrenProcStats(t).children : [],
        };
      },
      async kill(reason, cause = "request") {
        if (state === "exited") return exited;
        if (killReason === null) {
          killReason = reason;
          killCause = cause;
          record.killReason = reason;
          record.killCause = cause;
          await log.appendFile(`\nKilling frame: ${reason}\n`).catch(() => undefined);
          void writeFrameRecord(opts.stateDir, record).catch(() => undefined);
        }
        if (state === "running") {
          state = "killing";
          await sampling.then(sample).catch(() => undefined);
          signalTree("SIGTERM");
          const escalate = setTimeout(async () => {
            if (state === "exited") return;
            await sampling.then(sample).catch(() => undefined);
            emit(spec.frameId, "warn", `frame did not stop ${killGraceMs} ms after SIGTERM: SIGKILL`);
            signalTree("SIGKILL");
          }, killGraceMs);
          escalate.unref?.();
          void exited.then(() => clearTimeout(escalate));
        }
        return exited;
      },
    };
    frames.set(spec.frameId, frame);
    return frame;
  }

  async function readExitFile(path: string): Promise<number | null> {
    try {
      const n = Number.parseInt((await readFile(path, "utf8")).trim(), 10);
      return Number.isFinite(n) ? n : null;
    } catch {
      return null;
    }
  }

  return {
    running: () => [...frames.values()],

    async launch(spec) {
      validateFrameSpec(spec);
      if (frames.has(spec.frameId)) throw new FrameSpecError("frameId", `frame ${spec.frameId} is already running on this host`);
      const wantUid = spec.uid ?? opts.defaultUid ?? 1000;
      const wantGid = spec.gid > 0 ? spec.gid : opts.defaultGid ?? 20;
      if (wantUid === 0 && !opts.allowRootFrames) throw new FrameSpecError("uid", "will not run a frame as root (uid 0); allow it with runner.allow_root_frames");
      const switchUser = isRoot && (opts.runAsUser ?? true);
      const uid = switchUser ? wantUid : process.getuid?.() ?? wantUid;
      const gid = switchUser ? wantGid : process.getgid?.() ?? wantGid;
      const notes = switchUser || uid === wantUid ? [] : [`note: the agent is not root, so the frame runs as uid ${uid} instead of ${wantUid}`];

      await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
      const logPath = frameLogPath(spec);
      const log = await openLog(spec, logPath, uid, gid);
      const rawPath = join(opts.stateDir, `${spec.frameId}.out`);
      const exitPath = join(opts.stateDir, `${spec.frameId}.exit`);
      let rawFd: FileHandle | null = null;
      let exitFd: FileHandle | null = null;
      try {
        if (spec.frameTempDir) {
          await mkdir(spec.frameTempDir, { recursive: true, mode: 0o755 });
          if (switchUser) await chown(spec.frameTempDir, uid, gid);
        }
        const env = buildFrameEnvironment(spec, {
          inherited: opts.inheritEnvironment ?? process.env, hostName: opts.hostName, logPath,
          home: lookupHome(uid), useHostPath: opts.useHostPath ?? false, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
        });
        const cpuIds = taskset ? spec.reservedCpuIds : [];
        if (spec.reservedCpuIds.length > 0 && !taskset) notes.push("note: taskset is not installed, so the frame is not pinned to its cores");
        await log.appendFile(formatHeader(spec, { command: spec.command, uid, gid, logPath, hostName: opts.hostName, cpuIds, environment: env, notes }));
        rawFd = await open(rawPath, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_APPEND, 0o600);
        exitFd = await open(exitPath, "w", 0o600);
        const argv: string[] = [];
        if (opts.niceness) argv.push("nice", "-n", String(opts.niceness));
        if (cpuIds.length > 0) argv.push(taskset!, "-c", cpuIds.join(","));
        argv.push("/bin/sh", "-c", WRAPPER, "frame-wrapper", shellPath, spec.command);
        const cwd = spec.frameTempDir || "/tmp";
        const child = spawn(argv[0]!, argv.slice(1), {
          cwd, env, detached: true, stdio: ["ignore", rawFd.fd, rawFd.fd, exitFd.fd],
          ...(switchUser ? { uid, gid } : {}),
        });
        // Listen for the end before anything else is awaited: an ultrafast frame may be gone already.
        const childExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
        const pid = await new Promise<number>((resolve, reject) => {
          child.once("spawn", () => resolve(child.pid!));
          child.once("error", reject);
        });
        const startTicks = (await readProcessStartTicks(pid)) ?? 0;
        const startedAt = now();
        await log.appendFile(`Running ${spec.command}: pid ${pid}\n`);
        const tailer = await createOutputTailer(rawPath, log, { offset: 0, prependTimestamp: opts.prependTimestamp ?? true, now });
        const record: FrameRecord = { version: 1, spec, pid, startTicks, startedAt, logPath, rawPath, exitPath, rawOffset: 0, killReason: null, killCause: null };
        await writeFrameRecord(opts.stateDir, record);
        emit(spec.frameId, "info", `frame started: pid ${pid} as uid ${uid}, log ${logPath}`);
        return track({ spec, pid, startTicks, startedAt, logPath, log, tailer, record, childExit });
      } catch (e) {
        await log.appendFile(`\nFrame ${spec.frameId} failed to be spawned. ${(e as Error).message}\n`).catch(() => undefined);
        await log.close().catch(() => undefined);
        await Promise.all([rm(rawPath, { force: true }), rm(exitPath, { force: true })]);
        throw e instanceof FrameSpecError || e instanceof FrameLaunchError ? e : new FrameLaunchError(`frame ${spec.frameId} failed to start: ${(e as Error).message}`, spec.frameId);
      } finally {
        // The child holds its own copies of these descriptors.
        await rawFd?.close().catch(() => undefined);
        await exitFd?.close().catch(() => undefined);
      }
    },

    async recover() {
      const { records, unreadable } = await readFrameRecords(opts.stateDir);
      const adopted: RunningFrame[] = [];
      const finished: FinishedWhileDown[] = [];
      const problems = unreadable.map((u) => `unreadable frame record ${u.file}: ${u.error}`);
      for (const r of records) {
        if (frames.has(r.spec.frameId)) continue;
        const log = await open(r.logPath, "a").catch(() => null);
        if (await alive(r.pid, r.startTicks)) {
          if (!log) {
            problems.push(`frame ${r.spec.frameId}: log ${r.logPath} cannot be opened; not re-adopted`);
            continue;
          }
          await log.appendFile(`\nAgent restarted: re-adopted frame pid ${r.pid}\n`);
          const tailer = await createOutputTailer(r.rawPath, log, { offset: r.rawOffset, prependTimestamp: opts.prependTimestamp ?? true, now });
          adopted.push(track({ spec: r.spec, pid: r.pid, startTicks: r.startTicks, startedAt: r.startedAt, logPath: r.logPath, log, tailer, record: r, childExit: null }));
          emit(r.spec.frameId, "info", `re-adopted running frame pid ${r.pid}`);
          continue;
        }
        // Ended while the agent was down (or the pid now belongs to another process).
        const code = await readExitFile(r.exitPath);
        const endedAt = await stat(r.exitPath).then((s) => s.mtimeMs, () => now());
        const { exitStatus, exitSignal } = code === null ? { exitStatus: 1, exitSignal: 143 } : interpretExit(code, null, r.killCause === "memory-limit" || r.killCause === "oom");
        const exit: FrameExit = {
          exitStatus, exitSignal, runTimeSeconds: Math.max(0, Math.round((endedAt - r.startedAt) / 1000)), maxRssKb: 0,
          killedBy: (r.killCause as KillCause | null) ?? null, killReason: r.killReason, startedAt: r.startedAt, endedAt, source: code === null ? "unknown" : "exit-file",
        };
        if (log) {
          // Copy whatever output the agent had not copied yet, then the footer.
          const tailer = await createOutputTailer(r.rawPath, log, { offset: r.rawOffset, prependTimestamp: opts.prependTimestamp ?? true, now }).catch(() => null);
          await tailer?.pump(true).catch(() => undefined);
          await tailer?.close();
          await log.appendFile(`\nThe frame ended while the agent was down${code === null ? " (its exit status is unknown)" : ""}.\n` + formatFooter(exit, []));
          await log.close();
        }
        await Promise.all([rm(r.rawPath, { force: true }), rm(r.exitPath, { force: true }), removeFrameRecord(opts.stateDir, r.spec.frameId)]);
        finished.push({ spec: r.spec, exit, logPath: r.logPath });
        emit(r.spec.frameId, "info", `frame ended while the agent was down: exit status ${exit.exitStatus}, signal ${exit.exitSignal}`);
      }
      return { adopted, finished, problems };
    },
  };
}

