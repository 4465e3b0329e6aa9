// Runs frames: launch one as its user in its own session (and cgroup), copy its output into the RQD log,
// sample its process tree, enforce its memory limits, kill its whole tree on request and report the exact
// end. Each frame is an explicit state machine (frame-state.ts): launching -> running -> killing ->
// finishing -> exited.
import { constants as fsc, existsSync } from "node:fs";
import { chmod, chown, mkdir, open, readFile, rename, rm, rmdir, stat, access, type FileHandle } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { detectCgroupV2, readProcessStartTicks, readProcessTree, toChildrenProcStats, type ProcessTreeSample } from "@opencue-ts/host-monitor";
import { interpretExit, UNKNOWN_EXIT } from "./exit-status.js";
import { buildFrameEnvironment } from "./frame-environment.js";
import { createFrameCgroup, openFrameCgroup, type FrameCgroup } from "./frame-cgroup.js";
import { formatFooter, formatHeader, frameLogPath, rotatedLogName, type FooterProcess } from "./frame-log.js";
import { loadNodePty, spawnPiped, spawnPty, type FrameProcess, type ProcessEnd } from "./frame-process.js";
import { readFrameRecords, removeFrameRecord, writeFrameRecord, type FrameRecord } from "./frame-record.js";
import { FrameSpecError, MEMORY_KILL_CAUSES, validateFrameSpec, type FrameExit, type FrameSpec, type FrameStats, type KillCause } from "./frame-spec.js";
import { transition, type FrameState, type FrameTransition } from "./frame-state.js";
import { readPasswd } from "./frame-user.js";
import { OOM_KILL_REASON, selectFramesToKill, type HostMemory, type OomDecision } from "./oom-policy.js";
import { createOutputTailer, type OutputTailer } from "./output-tailer.js";
import { findSessionMembers, isLive } from "./proc-scan.js";

export type { FrameState } from "./frame-state.js";

/** Injected so tests and simulations can drive time; the defaults are Node's (unref'd where noted). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const nodeTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  // Periodic work never keeps the agent alive by itself; the child process handle does.
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

export type FrameEvent =
  | { type: "state"; frameId: string; at: number; from: FrameState; to: FrameState }
  | { type: "sample"; frameId: string; at: number; stats: FrameStats }
  | { type: "notice"; frameId: string; at: number; level: "info" | "warn" | "error"; message: string };

export type Terminal = "pipe" | "pty";

export interface FrameRunnerOptions {
  /** Host name written into the log and the frame environment (jobhost). */
  hostName: string;
  /** Where running-frame records, raw output and exit files live (runner.snapshots_path). */
  stateDir: string;
  shellPath?: string;
  /** Switch to the frame's uid/gid when the agent runs as root (runner.run_as_user). Default true. */
  runAsUser?: boolean;
  /** Allow frames that would run as uid 0. Default false. */
  allowRootFrames?: boolean;
  /** Run frames whose user is not in the passwd database under their numeric uid. Default false: refused. */
  allowUnknownUsers?: boolean;
  /** For frames sent without a uid (RunFrame's oneof unset). Default 1000 / 20 as RQD. */
  defaultUid?: number;
  defaultGid?: number;
  passwdPath?: string;
  prependTimestamp?: boolean;
  useHostPath?: boolean;
  /** Environment frames inherit (default: the agent's). */
  inheritEnvironment?: NodeJS.ProcessEnv;
  /** Niceness for frames (runner.desktop_mode uses 10). */
  niceness?: number;
  /** Create a missing log dir (as RQD does). Default true; false makes a missing one a launch error. */
  createLogDir?: boolean;
  /** Per-frame cgroup v2 groups: "auto" (default) uses detectCgroupV2(); or a directory to create them in. */
  cgroup?: "auto" | "off" | { root: string };
  /** How output is captured: "pipe" (default) or "pty" (node-pty). Overridable per launch. */
  terminal?: Terminal;
  /** pty mode: output queued beyond this is dropped with a note instead of stalling the frame. Default 16 MiB. */
  ptyMaxQueuedBytes?: number;
  killGraceMs?: number;
  monitorIntervalMs?: number;
  tailIntervalMs?: number;
  /** Kill a frame whose memory passes its hard limit when no cgroup enforces it. Default true. */
  enforceHardLimit?: boolean;
  now?: () => number;
  timers?: Timers;
  onEvent?: (e: FrameEvent) => void;
}

export interface LaunchOptions {
  terminal?: Terminal;
}

export interface RunningFrame {
  readonly spec: FrameSpec;
  readonly pid: number;
  readonly logPath: string;
  /** Whether this runner started the frame, or re-adopted it after an agent restart. */
  readonly adopted: boolean;
  /** The frame's cgroup directory, null when it has none. */
  readonly cgroupDir: string | null;
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
  launch(spec: FrameSpec, opts?: LaunchOptions): Promise<RunningFrame>;
  /** Re-adopts frames recorded in stateDir that still run; reports those that ended while the agent was down. */
  recover(): Promise<{ adopted: RunningFrame[]; finished: FinishedWhileDown[]; problems: string[] }>;
  running(): RunningFrame[];
  /** The host OOM policy applied to the running frames: kills the frames it selects (cause "oom"). */
  relieveMemoryPressure(host: HostMemory, opts?: { marginPercent?: number }): Promise<OomDecision>;
}

export type FrameLaunchErrorCode = "unknown-user" | "state-dir" | "log-dir" | "log-file" | "temp-dir" | "cgroup" | "pty-unavailable" | "spawn";

/** A frame that could not be started (host side: user, log, spawn); RQD reports it as exit 1 / signal 10. */
export class FrameLaunchError extends Error {
  constructor(message: string, readonly frameId: string, readonly code: FrameLaunchErrorCode = "spawn") {
    super(message);
    this.name = "FrameLaunchError";
  }
}

// The wrapper is the frame's session leader. With a cgroup it first waits until the agent has moved it
// in (so nothing it forks starts outside). It runs the command as a child, forwards TERM/INT/HUP to it,
// waits for its real end and writes the exit status to fd 3 (a file the agent opened), so a re-adopted
// frame's end is known even though it is not the new agent's child.
const WRAPPER = [
  "shell=$1; cmd=$2; gate=$3; cg=$4",
  // Pipe mode: the agent writes "go" on stdin once the pid is in the cgroup (no polling, no fork).
  'if [ "$gate" = stdin ]; then read -r go; [ "$go" = go ] || exit 125; exec 0</dev/null; fi',
  // pty mode: stdin is the terminal, so poll our own cgroup membership instead.
  'if [ "$gate" = poll ]; then',
  "  n=0",
  "  while :; do",
  "    found=",
  '    while IFS= read -r l; do case $l in "0::"*"/$cg") found=1;; esac; done < /proc/$$/cgroup',
  '    [ -n "$found" ] && break',
  "    n=$((n+1)); if [ $n -gt 2000 ]; then echo 'frame-runner: the frame was not moved into its cgroup' >&2; exit 125; fi",
  "    sleep 0.005",
  "  done",
  "fi",
  "exec 4<&0",
  '"$shell" -c "$cmd" 0<&4 4<&- 3>&- &',
  "child=$!",
  "exec 4<&-",
  "trap 'kill -TERM $child 2>/dev/null' TERM",
  "trap 'kill -INT $child 2>/dev/null' INT",
  "trap 'kill -HUP $child 2>/dev/null' HUP",
  // A trapped signal interrupts `wait`; wait again until the child is really gone, then take its status.
  "while :; do wait $child; rc=$?; kill -0 $child 2>/dev/null || break; done",
  "wait $child 2>/dev/null; r=$?; [ $r -ne 127 ] && rc=$r",
  "{ echo $rc >&3; } 2>/dev/null",
  "exit $rc",
].join("\n");

const findBinary = (name: string) => ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"].map((d) => join(d, name)).find((p) => existsSync(p)) ?? null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const signal = (target: number, sig: NodeJS.Signals) => {
  try {
    process.kill(target, sig);
  } catch {
    // Already gone.
  }
};

/** mkdir -p that reports every directory it created (deepest last), so a failed launch can remove them. */
async function mkdirTracked(path: string, mode: number): Promise<string[]> {
  const first = await mkdir(path, { recursive: true, mode });
  if (!first) return [];
  const created = [first];
  for (const part of relative(first, path).split("/").filter(Boolean)) created.push(join(created[created.length - 1]!, part));
  return created;
}
/** Removes created directories deepest first; rmdir only succeeds on empty ones, so nothing shared is lost. */
const removeEmptyDirs = async (dirs: string[]) => {
  for (const d of [...dirs].reverse()) await rmdir(d).catch(() => undefined);
};

export function createFrameRunner(opts: FrameRunnerOptions): FrameRunner {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? nodeTimers;
  const shellPath = opts.shellPath ?? "/bin/bash";
  const killGraceMs = opts.killGraceMs ?? 10_000;
  const monitorIntervalMs = opts.monitorIntervalMs ?? 1000;
  const tailIntervalMs = opts.tailIntervalMs ?? 250;
  const prependTimestamp = opts.prependTimestamp ?? true;
  const frames = new Map<string, RunningFrame>();
  const starting = new Set<string>();
  const isRoot = process.getuid?.() === 0;
  const myUid = process.getuid?.() ?? 0;
  const myGid = process.getgid?.() ?? 0;
  const taskset = findBinary("taskset");
  const niceBin = findBinary("nice");
  const cpuCount = availableParallelism();
  const wait = (ms: number) => new Promise<void>((r) => timers.setTimeout(r, ms));
  const notice = (frameId: string, level: "info" | "warn" | "error", msg: string) => opts.onEvent?.({ type: "notice", frameId, at: now(), level, message: msg });

  // Where per-frame cgroups go, decided once.
  let cgroupRootP: Promise<{ root: string | null; why: string }> | null = null;
  const cgroupRoot = () =>
    (cgroupRootP ??= (async () => {
      const c = opts.cgroup ?? "auto";
      if (c === "off") return { root: null, why: "per-frame cgroups are off" };
      if (typeof c === "object") return { root: c.root, why: "" };
      const support = await detectCgroupV2();
      return support.usable && support.root ? { root: support.root, why: "" } : { root: null, why: `no per-frame cgroup: ${support.reason}` };
    })());

  async function resolveIdentity(spec: FrameSpec) {
    const switchUser = isRoot && (opts.runAsUser ?? true);
    const notes: string[] = [];
    const passwd = await readPasswd(opts.passwdPath);
    let wantUid = spec.uid ?? opts.defaultUid ?? 1000;
    const wantGid = spec.gid > 0 ? spec.gid : opts.defaultGid ?? 20;
    const refuseRoot = () => new FrameSpecError("uid", "will not run a frame as root (uid 0); allow it with allowRootFrames");
    if (wantUid === 0 && !opts.allowRootFrames) throw refuseRoot();
    if (spec.uid !== null && switchUser) {
      // As RQD: a user that exists keeps its own uid.
      const entry = passwd.find((p) => p.name === spec.userName);
      if (!entry && !opts.allowUnknownUsers) throw new FrameLaunchError(`user ${spec.userName} (uid ${spec.uid}) does not exist on this host`, spec.frameId, "unknown-user");
      if (entry && entry.uid !== spec.uid) notes.push(`note: user ${spec.userName} exists here with uid ${entry.uid}; the frame runs as ${entry.uid}, not ${spec.uid}`);
      if (entry) wantUid = entry.uid;
    }
    if (wantUid === 0 && !opts.allowRootFrames) throw refuseRoot();
    const uid = switchUser ? wantUid : myUid;
    const gid = switchUser ? wantGid : myGid;
    if (!switchUser && uid !== wantUid) notes.push(`note: ${isRoot ? "runAsUser is off" : "the agent is not root"}, so the frame runs as uid ${uid} (the agent's) instead of ${wantUid}`);
    return { uid, gid, switchUser, notes, home: passwd.find((p) => p.uid === uid)?.home ?? null };
  }

  /** Everything after the process exists: state, sampling, tailing, kill, end. Shared by launch and recover. */
  function track(init: {
    spec: FrameSpec; pid: number; startTicks: number; startedAt: number; logPath: string; log: FileHandle; tailer: OutputTailer;
    record: FrameRecord; cgroup: FrameCgroup | null; ended: Promise<ProcessEnd> | null;
  }): RunningFrame {
    const { spec, pid, startTicks, startedAt, logPath, log, tailer, record, cgroup, ended } = init;
    let state: FrameState = "running";
    let last: ProcessTreeSample | null = null;
    let frozen: FrameStats | null = null;
    let killReason: string | null = record.killReason;
    let killCause = record.killCause as KillCause | null;
    let killStartedAt: number | null = null;
    let recordWrittenAt = now();
    let recordOffset = record.rawOffset;
    const peak = { rss: 0, pss: 0, vsize: 0 };
    let sampling: Promise<void> = Promise.resolve();
    let resolveExit!: (e: FrameExit) => void;
    const exited = new Promise<FrameExit>((r) => (resolveExit = r));

    const move = (event: FrameTransition) => {
      const next = transition(state, event);
      if (next === null) {
        notice(spec.frameId, "warn", `ignored ${event} in state ${state}`);
        return false;
      }
      if (next !== state) opts.onEvent?.({ type: "state", frameId: spec.frameId, at: now(), from: state, to: next });
      state = next;
      return true;
    };
    const saveRecord = () => writeFrameRecord(opts.stateDir, record).catch((e: unknown) => notice(spec.frameId, "warn", `record update failed: ${message(e)}`));

    const sample = async () => {
      const tree = await readProcessTree(pid, cgroup ? { cgroupDir: cgroup.dir } : {});
      if (!tree || state === "finishing" || state === "exited") return;
      last = tree;
      peak.rss = Math.max(peak.rss, tree.rssKb);
      peak.pss = Math.max(peak.pss, tree.pssKb);
      peak.vsize = Math.max(peak.vsize, tree.vsizeKb);
      if (opts.onEvent) opts.onEvent({ type: "sample", frameId: spec.frameId, at: now(), stats: frame.stats() });
      // The watchdog, where no cgroup enforces memory.max.
      if ((opts.enforceHardLimit ?? true) && !cgroup?.memoryLimited && spec.hardMemoryLimitKb > 0 && tree.rssKb > spec.hardMemoryLimitKb && state === "running") {
        void frame.kill(`frame used ${tree.rssKb} KB of memory, over its hard limit of ${spec.hardMemoryLimitKb} KB`, "memory-limit");
      }
    };
    const resample = () => (sampling = sampling.then(sample).catch((e: unknown) => notice(spec.frameId, "warn", `sampling failed: ${message(e)}`)));
    const monitor = timers.setInterval(() => {
      void resample();
      // The copy offset only matters to a restarted agent (fewer duplicated lines): persist it now and then.
      if (tailer.offset !== recordOffset && now() - recordWrittenAt >= 5000) {
        record.rawOffset = recordOffset = tailer.offset;
        recordWrittenAt = now();
        void saveRecord();
      }
    }, monitorIntervalMs);
    const tail = timers.setInterval(() => void tailer.pump().catch((e: unknown) => notice(spec.frameId, "warn", `log copy failed: ${message(e)}`)), tailIntervalMs);
    void resample();

    // Without a cgroup: the frame's own environment entry finds processes that left its tree, session and group.
    const marker = { entry: `logfile=${logPath}`, minStartTicks: startTicks };
    const signalTree = async (sig: NodeJS.Signals) => {
      signal(-pid, sig);
      // Members that left the group (setsid, setpgid) are still in the tree sample; identity-checked.
      for (const p of last?.processes ?? []) if (p.pid !== pid && (await isLive(p.pid, p.startTicks))) signal(p.pid, sig);
      if (!cgroup && startTicks > 0) for (const p of findSessionMembers(pid, "/proc", marker)) if (p.pid !== pid) signal(p.pid, sig);
      if (cgroup) {
        if (sig === "SIGKILL") await cgroup.killAll().catch(() => undefined);
        else for (const p of await cgroup.pids()) signal(p, sig);
      }
    };

    /** What is left of the frame after its leader ended: killed, then verified gone. */
    const reapLeftovers = async (): Promise<number[]> => {
      const known = new Map<number, number>();
      for (const p of last?.processes ?? []) if (p.pid !== pid) known.set(p.pid, p.startTicks);
      // The cgroup lists every process of the frame.
      // Without one, look for what is left of its session, and for processes carrying its environment (daemons).
      if (!cgroup) for (const p of findSessionMembers(pid, "/proc", startTicks > 0 ? marker : undefined)) known.set(p.pid, p.startTicks);
      const live = async () => {
        const out = new Set<number>();
        for (const [p, ticks] of known) if (await isLive(p, ticks)) out.add(p);
        for (const p of cgroup ? await cgroup.pids() : []) out.add(p);
        return [...out];
      };
      let left = await live();
      if (left.length === 0) return [];
      // Being killed: they get what remains of the grace period to clean up. Ended by itself: done now.
      if (killStartedAt !== null) {
        while (left.length > 0 && now() < killStartedAt + killGraceMs) {
          await wait(50);
          left = await live();
        }
      }
      const killed = [...left];
      for (const p of left) signal(p, "SIGKILL");
      await cgroup?.killAll().catch(() => undefined);
      const deadline = now() + 2000;
      while ((left = await live()).length > 0 && now() < deadline) await wait(20);
      if (left.length > 0) notice(spec.frameId, "error", `processes of the frame survived SIGKILL: ${left.join(", ")}`);
      return killed;
    };

    const finish = async (end: ProcessEnd | null, source: FrameExit["source"]) => {
      if (!move("process-exited")) return;
      timers.clearInterval(monitor);
      timers.clearInterval(tail);
      await sampling.catch(() => undefined);
      const leftoverPids = await reapLeftovers().catch((e: unknown) => {
        notice(spec.frameId, "error", `leftover check failed: ${message(e)}`);
        return [] as number[];
      });
      if (cgroup && (await cgroup.oomKills()) > 0 && !MEMORY_KILL_CAUSES.includes(killCause as KillCause)) {
        killCause = "kernel-oom";
        killReason = `the kernel OOM killer ended the frame at its hard memory limit of ${spec.hardMemoryLimitKb} KB (cgroup memory.max)`;
      }
      await tailer.pump(true).catch(() => undefined);
      await tailer.close();
      const endedAt = now();
      const memoryKill = MEMORY_KILL_CAUSES.includes(killCause as KillCause);
      const { exitStatus, exitSignal } = end === null ? (memoryKill ? { exitStatus: 1, exitSignal: 33 } : UNKNOWN_EXIT) : interpretExit(end.code, end.signal, memoryKill);
      const exit: FrameExit = {
        exitStatus, exitSignal, runTimeSeconds: Math.max(0, Math.round((endedAt - startedAt) / 1000)), maxRssKb: peak.rss,
        killedBy: killCause, killReason, startedAt, endedAt, source, leftoverPids,
      };
      const processes: FooterProcess[] = (last?.processes ?? []).map((p) => ({ pid: p.pid, name: p.name, state: p.state, cmdline: p.cmdline, rssKb: p.rssKb, startTime: p.startTime }));
      let notes = "";
      if (killReason) notes += `\nFrame killed: ${killReason}\n`;
      if (source === "unknown") notes += "\nThe frame's exit status could not be read (it ended while the agent was not watching).\n";
      if (leftoverPids.length) notes += `\nKilled ${leftoverPids.length} process(es) the frame left running: ${leftoverPids.join(", ")}\n`;
      await log.appendFile(notes + formatFooter(exit, processes)).catch((e: unknown) => notice(spec.frameId, "warn", `footer not written: ${message(e)}`));
      await log.close().catch(() => undefined);
      await Promise.all([rm(record.rawPath, { force: true }), rm(record.exitPath, { force: true })]);
      if (cgroup) await cgroup.remove().catch((e: unknown) => notice(spec.frameId, "warn", `cgroup ${cgroup.dir} not removed: ${message(e)}`));
      if (record.createdTempDir && spec.frameTempDir) await rm(spec.frameTempDir, { recursive: true, force: true }).catch(() => undefined);
      await removeFrameRecord(opts.stateDir, spec.frameId);
      frames.delete(spec.frameId);
      move("reported");
      notice(spec.frameId, "info", `frame ended: exit status ${exit.exitStatus}, signal ${exit.exitSignal}${killReason ? ` (${killReason})` : ""}`);
      resolveExit(exit);
    };

    if (ended) {
      void ended.then((end) => finish(end, "wait"));
    } else {
      // Not our child: poll its identity, then read the status the wrapper wrote.
      const poll = timers.setInterval(() => {
        void isLive(pid, startTicks).then(async (up) => {
          if (up || state === "finishing" || state === "exited") return;
          timers.clearInterval(poll);
          const code = await readExitFile(record.exitPath);
          await finish(code === null ? null : { code, signal: null }, code === null ? "unknown" : "exit-file");
        });
      }, Math.min(250, monitorIntervalMs));
    }

    const frame: RunningFrame = {
      spec, pid, logPath, adopted: ended === null, exited, cgroupDir: cgroup?.dir ?? null,
      state: () => state,
      stats(): FrameStats {
        if (frozen) return frozen;
        const t = last;
        return {
          pid, startTime: startedAt, rssKb: t?.rssKb ?? 0, maxRssKb: peak.rss, pssKb: t?.pssKb ?? 0, maxPssKb: peak.pss,
          vsizeKb: t?.vsizeKb ?? 0, maxVsizeKb: peak.vsize, swapKb: t?.swapKb ?? 0, cpuSeconds: t?.cpuSeconds ?? 0,
          processCount: t?.processes.length ?? 0, lluTime: Math.floor((tailer.lastOutputAt || startedAt) / 1000),
          children: t ? toChildrenProcStats(t).children : [],
        };
      },
      async kill(reason, cause = "user") {
        if (state !== "running" && state !== "killing") return exited;
        if (killReason === null) {
          killReason = reason;
          killCause = cause;
          record.killReason = reason;
          record.killCause = cause;
          // A memory kill reports the memory the frame had when it was caught, not what is left while it dies (#2093).
          if (MEMORY_KILL_CAUSES.includes(cause)) frozen = frame.stats();
          await log.appendFile(`\nKilling frame: ${reason}\n`).catch(() => undefined);
          void saveRecord();
        }
        if (state === "running" && move("kill-requested")) {
          killStartedAt = now();
          // A snapshot of the tree before anything dies, so members that escaped the group are known.
          await resample();
          await signalTree("SIGTERM");
          const escalate = timers.setTimeout(() => {
            if (state !== "killing") return;
            notice(spec.frameId, "warn", `frame did not stop ${killGraceMs} ms after SIGTERM: SIGKILL`);
            void resample().then(() => signalTree("SIGKILL"));
          }, killGraceMs);
          void exited.then(() => timers.clearTimeout(escalate));
        }
        return exited;
      },
    };
    frames.set(spec.frameId, frame);
    return frame;
  }

  async function readExitFile(path: string): Promise<number | null> {
    try {
      const text = (await readFile(path, "utf8")).trim();
      return /^\d+$/.test(text) ? Number(text) : null;
    } catch {
      return null;
    }
  }

  async function openLog(spec: FrameSpec, path: string, ident: { uid: number; gid: number; switchUser: boolean }): Promise<FileHandle> {
    try {
      if (existsSync(path)) await rename(path, rotatedLogName(path, existsSync));
      const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_APPEND, 0o664);
      if (isRoot) await fh.chown(ident.uid, ident.gid);
      return fh;
    } catch (e) {
      throw new FrameLaunchError(`cannot create the frame log ${path}: ${message(e)} (agent uid ${myUid}, frame uid ${ident.uid})`, spec.frameId, "log-file");
    }
  }

  async function start(spec: FrameSpec, terminal: Terminal): Promise<RunningFrame> {
    const ident = await resolveIdentity(spec);
    if (terminal === "pty") await loadNodePty().catch((e: unknown) => Promise.reject(new FrameLaunchError(message(e), spec.frameId, "pty-unavailable")));
    const notes = [...ident.notes];
    const createdDirs: string[] = [];
    let cgroup: FrameCgroup | null = null;
    let log: FileHandle | null = null;
    let proc: FrameProcess | null = null;
    const logPath = frameLogPath(spec);
    const rawPath = join(opts.stateDir, `${spec.frameId}.out`);
    const exitPath = join(opts.stateDir, `${spec.frameId}.exit`);
    try {
      await mkdir(opts.stateDir, { recursive: true, mode: 0o700 }).catch((e: unknown) => Promise.reject(new FrameLaunchError(`cannot create the state dir ${opts.stateDir}: ${message(e)}`, spec.frameId, "state-dir")));

      // Log dir: created as RQD does (0775, owned by the frame user), or refused when that is off.
      if (!existsSync(spec.logDir)) {
        if (opts.createLogDir === false) throw new FrameLaunchError(`log dir ${spec.logDir} does not exist`, spec.frameId, "log-dir");
        const made = await mkdirTracked(spec.logDir, 0o775).catch((e: unknown) => Promise.reject(new FrameLaunchError(`cannot create the log dir ${spec.logDir}: ${message(e)}`, spec.frameId, "log-dir")));
        createdDirs.push(...made);
        if (ident.switchUser && made.length > 0) {
          await chmod(spec.logDir, 0o775);
          await chown(spec.logDir, ident.uid, ident.gid);
        }
      } else if (!(await stat(spec.logDir)).isDirectory()) {
        throw new FrameLaunchError(`log dir ${spec.logDir} is not a directory`, spec.frameId, "log-dir");
      }
      await access(spec.logDir, fsc.W_OK | fsc.X_OK).catch(() => Promise.reject(new FrameLaunchError(`log dir ${spec.logDir} is not writable by the agent (uid ${myUid})`, spec.frameId, "log-dir")));

      let createdTempDir = false;
      if (spec.frameTempDir) {
        const made = await mkdirTracked(spec.frameTempDir, 0o755).catch((e: unknown) => Promise.reject(new FrameLaunchError(`cannot create the frame temp dir ${spec.frameTempDir}: ${message(e)}`, spec.frameId, "temp-dir")));
        createdDirs.push(...made);
        createdTempDir = made.length > 0;
        if (createdTempDir && ident.switchUser) await chown(spec.frameTempDir, ident.uid, ident.gid);
      }

      const cg = await cgroupRoot();
      if (cg.root) {
        try {
          const made = await createFrameCgroup(cg.root, `opencue-frame-${spec.frameId}`, { hardKb: spec.hardMemoryLimitKb, softKb: spec.softMemoryLimitKb });
          cgroup = made.cgroup;
          notes.push(...made.notes);
        } catch (e) {
          notes.push(`note: no cgroup for this frame (${message(e)}); the runner's watchdog enforces the hard limit`);
        }
      } else if (spec.hardMemoryLimitKb > 0) {
        notes.push(`note: ${cg.why}; the runner's watchdog enforces the hard limit`);
      }

      log = await openLog(spec, logPath, ident);
      const env = buildFrameEnvironment(spec, {
        inherited: opts.inheritEnvironment ?? process.env, hostName: opts.hostName, logPath,
        home: ident.home, useHostPath: opts.useHostPath ?? false, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
      });
      const cpuIds = taskset ? spec.reservedCpuIds : [];
      if (spec.reservedCpuIds.length > 0 && !taskset) notes.push("note: taskset is not installed, so the frame is not pinned to its cores");
      if (cgroup) notes.push(`cgroup ${cgroup.dir}${cgroup.memoryLimited ? ` (memory.max ${spec.hardMemoryLimitKb} KB)` : ""}`);
      if (terminal === "pty") notes.push("terminal: pseudo-terminal (stdout and stderr merged by the terminal)");
      await log.appendFile(formatHeader(spec, { command: spec.command, uid: ident.uid, gid: ident.gid, logPath, hostName: opts.hostName, cpuIds, environment: env, notes }));

      const argv: string[] = [];
      if (opts.niceness && niceBin) argv.push(niceBin, "-n", String(opts.niceness));
      if (cpuIds.length > 0) argv.push(taskset!, "-c", cpuIds.join(","));
      const gate = cgroup ? (terminal === "pty" ? "poll" : "stdin") : "";
      argv.push("/bin/sh", "-c", WRAPPER, "frame-wrapper", shellPath, spec.command, gate, cgroup ? `opencue-frame-${spec.frameId}` : "");
      const base = { argv, cwd: spec.frameTempDir || "/tmp", env, identity: ident.switchUser ? { uid: ident.uid, gid: ident.gid } : null };
      if (terminal === "pty") {
        await rm(rawPath, { force: true });
        proc = await spawnPty({ ...base, rawPath, maxQueuedBytes: opts.ptyMaxQueuedBytes ?? 16 << 20 });
      } else {
        const rawFd = await open(rawPath, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_APPEND, 0o600);
        const exitFd = await open(exitPath, "w", 0o600);
        try {
          proc = await spawnPiped({ ...base, outFd: rawFd.fd, exitFd: exitFd.fd, gated: gate === "stdin" });
        } finally {
          // The child holds its own copies of these descriptors.
          await rawFd.close().catch(() => undefined);
          await exitFd.close().catch(() => undefined);
        }
      }
      const pid = proc.pid;
      if (cgroup) {
        await cgroup.addProcess(pid).catch((e: unknown) => Promise.reject(new FrameLaunchError(`cannot move pid ${pid} into ${cgroup!.dir}: ${message(e)}`, spec.frameId, "cgroup")));
        proc.release?.();
      }
      // 0 when an ultrafast frame is already gone: the wait status still gives its end.
      const startTicks = (await readProcessStartTicks(pid)) ?? 0;
      const startedAt = now();
      await log.appendFile(`Running ${spec.command}: pid ${pid}\n`);
      const tailer = await createOutputTailer(rawPath, log, { offset: 0, prependTimestamp, now });
      const record: FrameRecord = {
        version: 1, spec, pid, startTicks, startedAt, logPath, rawPath, exitPath, rawOffset: 0, killReason: null, killCause: null,
        cgroupDir: cgroup?.dir ?? null, cgroupMemoryLimited: cgroup?.memoryLimited ?? false, createdTempDir, terminal,
      };
      await writeFrameRecord(opts.stateDir, record);
      notice(spec.frameId, "info", `frame started: pid ${pid} as uid ${ident.uid}, log ${logPath}`);
      const frame = track({ spec, pid, startTicks, startedAt, logPath, log, tailer, record, cgroup, ended: proc.ended });
      opts.onEvent?.({ type: "state", frameId: spec.frameId, at: now(), from: "launching", to: "running" });
      return frame;
    } catch (e) {
      if (proc) {
        // Started, then a later step failed: it must not run unsupervised.
        signal(-proc.pid, "SIGKILL");
        await Promise.race([proc.ended, sleep(2000)]);
      }
      if (log) {
        await log.appendFile(`\nFrame ${spec.jobName}.${spec.frameName}(${spec.frameId}) failed to be spawned. ${message(e)}\n`).catch(() => undefined);
        await log.close().catch(() => undefined);
      }
      // Clean-up must never hide the real error (an rm under a state dir that is a file fails with ENOTDIR).
      await Promise.all([rm(rawPath, { force: true }), rm(exitPath, { force: true })]).catch(() => undefined);
      await cgroup?.remove().catch(() => undefined);
      await removeEmptyDirs(createdDirs);
      if (e instanceof FrameSpecError || e instanceof FrameLaunchError) throw e;
      throw new FrameLaunchError(`frame ${spec.frameId} failed to start: ${message(e)}`, spec.frameId, "spawn");
    }
  }

  return {
    running: () => [...frames.values()],

    async launch(spec, launchOpts = {}) {
      validateFrameSpec(spec, { cpuCount });
      if (frames.has(spec.frameId) || starting.has(spec.frameId)) throw new FrameSpecError("frameId", `frame ${spec.frameId} is already running on this host`);
      starting.add(spec.frameId);
      try {
        return await start(spec, launchOpts.terminal ?? opts.terminal ?? "pipe");
      } finally {
        starting.delete(spec.frameId);
      }
    },

    async relieveMemoryPressure(host, policy = {}) {
      const list = [...frames.values()].filter((f) => f.state() === "running");
      const decision = selectFramesToKill(
        host,
        list.map((f) => {
          const s = f.stats();
          return { frameId: f.spec.frameId, rssKb: s.rssKb, maxRssKb: s.maxRssKb, softMemoryLimitKb: f.spec.softMemoryLimitKb, runTimeSeconds: Math.max(0, (now() - s.startTime) / 1000) };
        }),
        policy,
      );
      for (const v of decision.victims) void frames.get(v.frameId)?.kill(OOM_KILL_REASON, "oom");
      return decision;
    },

    async recover() {
      const { records, unreadable } = await readFrameRecords(opts.stateDir);
      const adopted: RunningFrame[] = [];
      const finished: FinishedWhileDown[] = [];
      const problems = unreadable.map((u) => `unreadable frame record ${u.file}: ${u.error}`);
      for (const r of records) {
        if (frames.has(r.spec.frameId)) continue;
        const log = await open(r.logPath, "a").catch(() => null);
        const cgroup = r.cgroupDir ? openFrameCgroup(r.cgroupDir, r.cgroupMemoryLimited) : null;
        if (r.startTicks > 0 && (await isLive(r.pid, r.startTicks))) {
          if (!log) {
            problems.push(`frame ${r.spec.frameId}: log ${r.logPath} cannot be opened; not re-adopted`);
            continue;
          }
          await log.appendFile(`\nAgent restarted: re-adopted frame pid ${r.pid}${r.terminal === "pty" ? " (its terminal ended with the old agent: no more output is captured)" : ""}\n`);
          const tailer = await createOutputTailer(r.rawPath, log, { offset: r.rawOffset, prependTimestamp, now });
          adopted.push(track({ spec: r.spec, pid: r.pid, startTicks: r.startTicks, startedAt: r.startedAt, logPath: r.logPath, log, tailer, record: r, cgroup, ended: null }));
          notice(r.spec.frameId, "info", `re-adopted running frame pid ${r.pid}`);
          continue;
        }
        // Ended while the agent was down (or the pid now belongs to another process).
        const code = await readExitFile(r.exitPath);
        const endedAt = await stat(r.exitPath).then((s) => (code === null ? now() : s.mtimeMs), () => now());
        // Only the cgroup can say for sure what is left of it; a session scan could hit a reused pid.
        let leftoverPids: number[] = [];
        if (cgroup) {
          leftoverPids = await cgroup.pids();
          if ((await cgroup.oomKills()) > 0 && r.killCause === null) {
            r.killCause = "kernel-oom";
            r.killReason = "the kernel OOM killer ended the frame at its hard memory limit (cgroup memory.max)";
          }
          await cgroup.killAll().catch(() => undefined);
          await cgroup.waitEmpty(2000);
          await cgroup.remove().catch((e: unknown) => problems.push(`frame ${r.spec.frameId}: cgroup ${r.cgroupDir} not removed: ${message(e)}`));
        }
        const memoryKill = MEMORY_KILL_CAUSES.includes(r.killCause as KillCause);
        const { exitStatus, exitSignal } = code === null ? (memoryKill ? { exitStatus: 1, exitSignal: 33 } : UNKNOWN_EXIT) : interpretExit(code, null, memoryKill);
        const exit: FrameExit = {
          exitStatus, exitSignal, runTimeSeconds: Math.max(0, Math.round((endedAt - r.startedAt) / 1000)), maxRssKb: 0,
          killedBy: (r.killCause as KillCause | null) ?? null, killReason: r.killReason, startedAt: r.startedAt, endedAt,
          source: code === null ? "unknown" : "exit-file", leftoverPids,
        };
        if (log) {
          // Copy whatever output the agent had not copied yet, then the footer.
          const tailer = await createOutputTailer(r.rawPath, log, { offset: r.rawOffset, prependTimestamp, now }).catch(() => null);
          await tailer?.pump(true).catch(() => undefined);
          await tailer?.close();
          await log.appendFile(`\nThe frame ended while the agent was down${code === null ? " (its exit status is unknown)" : ""}.\n` + formatFooter(exit, []));
          await log.close();
        }
        if (r.createdTempDir && r.spec.frameTempDir) await rm(r.spec.frameTempDir, { recursive: true, force: true }).catch(() => undefined);
        await Promise.all([rm(r.rawPath, { force: true }), rm(r.exitPath, { force: true }), removeFrameRecord(opts.stateDir, r.spec.frameId)]);
        finished.push({ spec: r.spec, exit, logPath: r.logPath });
        notice(r.spec.frameId, "info", `frame ended while the agent was down: exit status ${exit.exitStatus}, signal ${exit.exitSignal}`);
      }
      return { adopted, finished, problems };
    },
  };
}
