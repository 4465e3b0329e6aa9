// openrqd, the render-host agent: a thin composition of host-monitor (what the host is), frame-runner
// (the frames), the core reservations, the report client and the durable completion delivery. The agent
// itself is an explicit state machine (lifecycle.ts): starting -> running -> draining -> stopping -> stopped.
import { spawn } from "node:child_process";
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { availableParallelism, networkInterfaces, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import {
  createFrameRunner, FrameLaunchError, FrameSpecError, UNKNOWN_EXIT, validateFrameSpec,
  type FrameEvent, type FrameExit, type FrameRunner, type FrameSpec, type KillCause, type RunningFrame,
} from "@opencue-ts/frame-runner";
import { createHostMonitor, createIdleDetector, type HostMonitor, type IdleDetector, type PhysicalCore, type RenderHostLike } from "@opencue-ts/host-monitor";
import {
  BootReportSchema, Code, ConnectError, CoreDetailSchema, HardwareState, HostReportSchema, RenderHostSchema, RunFrameSchema,
  create, fromBinary, toBinary, type CoreDetail, type HostReport, type RenderHost, type RunFrame, type RunningFrameInfo,
} from "@opencue-ts/proto";
import { startHttpEndpoints, type HttpEndpoints, type Logger } from "@opencue-ts/service-kit";
import { expandHome, type RqdConfig } from "../config/rqd-config.js";
import { createCoreReservations, type Booking, type CoreReservations } from "../cores/core-reservations.js";
import { createActivityFileSource } from "./activity-file-source.js";
import { AgentError } from "./agent-error.js";
import { openCompletionDelivery, type CompletionDelivery } from "./completion-delivery.js";
import { compileExitRules, matchExitRule, readOutputTail } from "./exit-rules.js";
import { completionReport, coresToBook, runFrameToSpec, runningFrameInfo, wantsPinning } from "./frame-convert.js";
import { acceptsFrames, transition, type AgentEvent, type AgentState } from "./lifecycle.js";
import { createAgentMetrics, type AgentMetrics } from "./metrics.js";
import { initialNimbyState, stepNimby, type NimbyState } from "./nimby.js";
import { createReportClient, type ReportClient } from "./report-client.js";
import { createRqdServer, type RqdOps, type RqdServer } from "./servant.js";

export const OPENRQD_VERSION: string = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;

/** What SIGTERM/SIGINT and the shutdown RPCs do with running frames. */
export type DrainMode = "wait" | "kill" | "detach";

export interface AgentOptions {
  config: RqdConfig;
  configFile?: string | null;
  log: Logger;
  /** Injected for tests; by default the real host, configured from `config.machine`. */
  hostMonitor?: HostMonitor;
  now?: () => number;
}

export interface Agent {
  readonly hostName: string;
  readonly grpcAddress: string;
  readonly grpcPort: number;
  readonly metricsPort: number | null;
  state(): AgentState;
  /** Asks the agent to stop; a second call with "kill" escalates a drain that is waiting. */
  stop(mode: DrainMode, exitCode?: number): void;
  /** The exit code once the agent has stopped. */
  readonly finished: Promise<number>;
}

interface FrameEntry {
  rf: RunFrame;
  booking: Booking | null;
  gpuIds: number[];
  running: RunningFrame | null;
  launchedAt: number;
}

type IdleAction = "reboot" | "restart" | "shutdown";

const fail = (code: Code, message: string): never => {
  throw new ConnectError(message, code);
};
const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** The address to listen on: grpc.rqd_bind_address, else the first IPv4 of grpc.rqd_interface, else all. */
export function resolveBindAddress(grpc: RqdConfig["grpc"]): string {
  if (grpc.rqd_bind_address) return grpc.rqd_bind_address;
  if (grpc.rqd_interface) {
    const nic = networkInterfaces()[grpc.rqd_interface];
    const v4 = nic?.find((a) => a.family === "IPv4");
    if (!v4) throw new AgentError(`network interface ${JSON.stringify(grpc.rqd_interface)} ${nic ? "has no IPv4 address" : "does not exist"} (have: ${Object.keys(networkInterfaces()).join(", ")})`, "config", "grpc.rqd_interface");
    return v4.address;
  }
  return "0.0.0.0";
}

const isSpecificAddress = (a: string) => a !== "0.0.0.0" && a !== "::" && a !== "";

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const { config, log } = opts;
  const now = opts.now ?? Date.now;
  const m = config.machine;
  const mult = m.core_multiplier;
  const ov = m.override_real_values;
  const metrics: AgentMetrics = createAgentMetrics();

  let lifecycle: AgentState = "starting";
  const move = (event: AgentEvent) => {
    const next = transition(lifecycle, event);
    if (next === null) return false;
    if (next !== lifecycle) {
      log.info(`agent ${lifecycle} -> ${next}`, { from: lifecycle, to: next });
      metrics.agentState.labels(lifecycle).set(0);
      metrics.agentState.labels(next).set(1);
    }
    lifecycle = next;
    return true;
  };
  metrics.agentState.labels("starting").set(1);

  // ---- configuration → host facts ----
  const bindAddress = resolveBindAddress(config.grpc);
  const useBindAsName = m.use_ip_as_hostname && isSpecificAddress(bindAddress) && !ov?.hostname;
  const hostnameOverride = ov?.hostname ?? (useBindAsName ? bindAddress : undefined);
  const hostMonitor =
    opts.hostMonitor ??
    createHostMonitor({
      facility: m.facility, customTags: m.custom_tags, workstationMode: ov?.workstation_mode ?? false, hostnameOverride, coreMultiplier: mult,
      nimbyEnabled: m.nimby_mode, useIpAsHostname: m.use_ip_as_hostname && !hostnameOverride, tempDir: m.temp_path,
      overrides: {
        memoryKb: ov?.memory_size ? Math.floor(ov.memory_size / 1024) : undefined,
        coresPerSocket: ov?.cores ?? undefined, sockets: ov?.procs ?? undefined, os: ov?.os ?? undefined,
      },
    });
  await mkdir(m.temp_path, { recursive: true }).catch((e: unknown) => Promise.reject(new AgentError(`cannot create ${m.temp_path}: ${errMessage(e)}`, "state-dir", "machine.temp_path")));
  let firstHost: RenderHostLike;
  try {
    firstHost = await hostMonitor.readRenderHost({ state: HardwareState.UP });
  } catch (e) {
    throw new AgentError(`cannot read this host's facts: ${errMessage(e)}`, "host");
  }
  const hostName = firstHost.name;
  const topology = await hostMonitor.readCpuTopology();
  const cpuCount = availableParallelism();

  // Cores: the real topology, or the overridden count (a demo farm of 8-core agents on a 2-core box).
  const wantCores = ov && (ov.cores != null || ov.procs != null) ? (ov.procs ?? topology.sockets) * (ov.cores ?? topology.coresPerSocket) : null;
  let cores: PhysicalCore[] = topology.cores;
  let pinning = topology.cores.every((c) => c.threadIds.every((t) => t < cpuCount));
  let pinningNote = pinning ? "threadable frames (CUE_THREADABLE=1) are pinned with taskset to their cores' CPUs" : `not pinning frames: /proc/cpuinfo lists CPUs this process may not use (${cpuCount} usable)`;
  if (wantCores !== null && wantCores !== topology.physicalCores) {
    const perSocket = ov?.cores ?? topology.coresPerSocket;
    const sockets = ov?.procs ?? topology.sockets;
    cores = [];
    for (let s = 0; s < sockets; s++) for (let c = 0; c < perSocket; c++) cores.push({ socket: s, coreId: c, threadIds: [s * perSocket + c] });
    pinning = false;
    pinningNote = `cores overridden: ${wantCores} reported and booked, ${topology.physicalCores} real; frames are not pinned (their CPU ids would not exist)`;
  }
  const reservations: CoreReservations = createCoreReservations(cores, now);
  const gpuDevices = (await hostMonitor.readHostFacts().catch(() => null))?.gpus.devices.map((d) => d.index) ?? [];
  const bookedGpus = new Set<number>();

  // ---- state dirs ----
  const stateDir = config.runner.state_dir ? expandHome(config.runner.state_dir) : null;
  const framesDir = stateDir ? join(stateDir, "frames") : expandHome(config.runner.snapshots_path);
  const completionsDir = stateDir ? join(stateDir, "completions") : config.runner.completions_path ? expandHome(config.runner.completions_path) : join(dirname(framesDir), "completions");
  const runFramesDir = join(framesDir, "runframes");
  const stateKey = stateDir ? "runner.state_dir" : "runner.snapshots_path";
  await mkdir(runFramesDir, { recursive: true, mode: 0o700 }).catch((e: unknown) => Promise.reject(new AgentError(`cannot create ${runFramesDir}: ${errMessage(e)}`, "state-dir", stateKey)));

  // ---- report client and completion delivery ----
  const stopAbort = new AbortController();
  let cuebotOk: boolean | null = null;
  const client: ReportClient = createReportClient({
    endpoints: config.grpc.cuebot_endpoints, callTimeoutMs: config.grpc.call_timeout, retryAttempts: config.grpc.backoff_retry_attempts,
    backoff: { minMs: config.grpc.backoff_delay_min, maxMs: config.grpc.backoff_delay_max, jitterPercent: config.grpc.backoff_jitter_percentage },
    connectionExpiresAfterMs: config.grpc.connection_expires_after,
    onAttempt(kind, ms, error) {
      metrics.reportDuration.labels(kind).observe(ms / 1000);
      if (error) {
        metrics.reportFailures.labels(kind, Code[error.code]).inc();
        if (cuebotOk !== false) log.warn(`report to Cuebot failed: ${Code[error.code]}: ${error.rawMessage}`, { kind, endpoint: client.endpoint, code: Code[error.code] });
        cuebotOk = false;
      } else {
        if (cuebotOk === false) log.info("Cuebot answers again", { kind, endpoint: client.endpoint });
        cuebotOk = true;
      }
    },
  });
  const completions: CompletionDelivery = await openCompletionDelivery({
    dir: completionsDir,
    intervalMs: m.frame_complete_delivery_interval,
    sendTimeoutMs: m.frame_complete_send_timeout,
    send: (report, signal) => client.completion(report, { signal }),
    onDelivered: (r) => {
      metrics.completionsQueued.set(completions.size());
      log.info("completion delivered", { frameId: r.frame?.frameId, exitStatus: r.exitStatus, exitSignal: r.exitSignal, queued: completions.size() });
    },
    onFailed: (r, e, permanent) => {
      if (permanent) log.error(`Cuebot refused a completion report (${Code[e.code]}: ${e.rawMessage}); moved to ${completionsDir}/rejected`, { frameId: r.frame?.frameId });
    },
  }).catch((e: unknown) => Promise.reject(new AgentError(`cannot open the completion queue ${completionsDir}: ${errMessage(e)}`, "state-dir", stateDir ? "runner.state_dir" : "runner.completions_path")));

  // ---- frames ----
  const frames = new Map<string, FrameEntry>();
  const frameEvents = (e: FrameEvent) => {
    if (e.type === "notice") log.log(e.level === "warn" ? "warn" : e.level === "error" ? "error" : "debug", e.message, { frameId: e.frameId });
  };
  const isRoot = process.getuid?.() === 0;
  const runner: FrameRunner = createFrameRunner({
    hostName, stateDir: framesDir, shellPath: config.runner.shell_path,
    // As root, a frame always runs as its user: never as root by accident (allow_root_frames to permit uid 0).
    runAsUser: true, allowRootFrames: config.runner.allow_root_frames,
    defaultUid: config.runner.default_uid, defaultGid: config.runner.default_gid, prependTimestamp: config.runner.prepend_timestamp,
    useHostPath: config.runner.use_host_path_env_var, niceness: config.runner.desktop_mode ? 10 : undefined,
    cgroup: config.runner.use_cgroups === "off" ? "off" : "auto", killGraceMs: config.runner.kill_grace_period,
    monitorIntervalMs: Math.max(250, Math.min(m.monitor_interval, 5000)), onEvent: frameEvents,
  });

  const sidecar = (frameId: string) => join(runFramesDir, `${frameId}.bin`);
  const writeSidecar = async (rf: RunFrame) => {
    const tmp = `${sidecar(rf.frameId)}.tmp`;
    await writeFile(tmp, toBinary(RunFrameSchema, rf), { mode: 0o600 });
    await rename(tmp, sidecar(rf.frameId));
  };
  const readSidecar = async (frameId: string): Promise<RunFrame | null> => {
    try {
      return fromBinary(RunFrameSchema, await readFile(sidecar(frameId)));
    } catch {
      return null;
    }
  };
  const removeSidecar = (frameId: string) => rm(sidecar(frameId), { force: true });
  const runFrameFromSpec = (s: FrameSpec): RunFrame =>
    create(RunFrameSchema, {
      resourceId: s.resourceId, jobId: s.jobId, jobName: s.jobName, layerId: s.layerId, frameId: s.frameId, frameName: s.frameName,
      show: s.show, shot: s.shot, command: s.command, userName: s.userName, gid: s.gid, environment: s.environment, logDir: s.logDir,
      numCores: s.numCores, softMemoryLimit: BigInt(s.softMemoryLimitKb), hardMemoryLimit: BigInt(s.hardMemoryLimitKb),
      uidOptional: s.uid === null ? { case: undefined } : { case: "uid", value: s.uid },
    });
  const bookingKey = (rf: RunFrame) => rf.resourceId || `frame:${rf.frameId}`;

  // ---- host state ----
  let nimby: NimbyState = initialNimbyState(m.nimby_mode, m.nimby_lock_by_default);
  let detector: IdleDetector | null = null;
  let pendingIdle: IdleAction | null = null;
  let rebooting = false;
  let startupAcked = false;
  let lastHost: RenderHost | null = null;

  const hardwareState = (): HardwareState => {
    if (rebooting) return HardwareState.REBOOTING;
    if (pendingIdle === "reboot") return HardwareState.REBOOT_WHEN_IDLE;
    if (lifecycle === "draining" || lifecycle === "stopping" || lifecycle === "stopped") return HardwareState.DOWN;
    return HardwareState.UP;
  };

  const coreDetail = (): CoreDetail => {
    const r = reservations.report(mult);
    // NIMBY locks the whole host without forgetting the admin's own lock count.
    const locked = nimby.locked ? r.totalCores : r.lockedCores;
    const idle = nimby.locked ? 0 : r.idleCores;
    metrics.cores.labels("total").set(r.totalCores / mult);
    metrics.cores.labels("booked").set(r.bookedCores / mult);
    metrics.cores.labels("locked").set(locked / mult);
    metrics.cores.labels("idle").set(idle / mult);
    return create(CoreDetailSchema, { totalCores: r.totalCores, idleCores: idle, lockedCores: locked, bookedCores: r.bookedCores });
  };

  const frameInfo = (e: FrameEntry): RunningFrameInfo => runningFrameInfo(e.rf, e.running?.stats() ?? null, e.launchedAt);

  async function readHost(): Promise<RenderHost> {
    const like = await hostMonitor.readRenderHost({ nimbyLocked: nimby.locked, state: hardwareState() });
    const host = create(RenderHostSchema, { ...like, nimbyEnabled: nimby.enabled });
    lastHost = host;
    metrics.hostMemory.labels("total").set(Number(host.totalMem));
    metrics.hostMemory.labels("free").set(Number(host.freeMem));
    metrics.nimbyLocked.set(nimby.locked ? 1 : 0);
    return host;
  }

  async function collectHostReport(): Promise<HostReport> {
    const host = await readHost();
    metrics.framesRunning.set(frames.size);
    metrics.completionsQueued.set(completions.size());
    return create(HostReportSchema, { host, coreInfo: coreDetail(), frames: [...frames.values()].map(frameInfo) });
  }

  // A status report now (coalesced): after every state change, as the Python RQD does.
  let reportQueued = false;
  let reportChain: Promise<void> = Promise.resolve();
  function requestReport() {
    if (reportQueued || !startupAcked) return;
    reportQueued = true;
    reportChain = reportChain.then(async () => {
      reportQueued = false;
      if (lifecycle === "stopped") return;
      await sendStatus(await collectHostReport());
    }).catch((e: unknown) => void log.warn(`status report failed: ${errMessage(e)}`));
  }
  async function sendStatus(report: HostReport) {
    // A status report is superseded by the next one: no retries, the next tick is the retry.
    await client.status(report, { retryAttempts: 0, signal: stopAbort.signal }).catch(() => undefined);
  }

  // ---- frame lifecycle ----
  const drainWaiters = new Set<() => void>();
  const framesGone = () =>
    frames.size === 0 ? Promise.resolve() : new Promise<void>((r) => drainWaiters.add(r));

  function releaseEntry(e: FrameEntry) {
    if (e.booking) {
      try {
        reservations.release(e.booking.resourceId);
      } catch {
        // Already released (sanitized).
      }
    }
    for (const g of e.gpuIds) bookedGpus.delete(g);
  }

  const exitRules = compileExitRules(config.runner.log_exit_status_rules, (msg) => log.warn(msg));

  /** runner.log_exit_status_rules: only for frames that failed on their own and log to a file. */
  async function applyExitRules(e: FrameEntry, exit: FrameExit): Promise<FrameExit> {
    if (exit.exitStatus === 0 || exit.killedBy || exitRules.length === 0 || config.runner.log_scan_last_lines <= 0 || !e.running) return exit;
    const tail = await readOutputTail(e.running.logPath, config.runner.log_scan_last_lines);
    const rule = tail === null ? null : matchExitRule(tail, exitRules);
    if (!rule) return exit;
    const line = `Exit status ${exit.exitStatus} overridden to ${rule.exitStatus} by rule '${rule.name}'`;
    log.info(line, { frameId: e.rf.frameId });
    await appendFile(e.running.logPath, `${line}\n`).catch(() => undefined);
    return { ...exit, exitStatus: rule.exitStatus };
  }

  async function onFrameEnded(e: FrameEntry, ended: FrameExit) {
    const frameId = e.rf.frameId;
    const exit = await applyExitRules(e, ended);
    const host = lastHost ? create(RenderHostSchema, { ...lastHost, nimbyLocked: nimby.locked }) : await readHost();
    const report = completionReport(host, frameInfo(e), exit);
    // Durable before the frame is forgotten: a crash from here on still delivers it (or its sidecar does).
    for (let attempt = 0; ; attempt++) {
      try {
        await completions.enqueue(report);
        break;
      } catch (err) {
        log.error(`cannot write the completion report of ${frameId} to ${completionsDir}: ${errMessage(err)}`, { frameId });
        if (attempt >= 5) break;
        await sleep(1000);
      }
    }
    frames.delete(frameId);
    releaseEntry(e);
    await removeSidecar(frameId);
    if (exit.killedBy) metrics.framesKilled.labels(exit.killedBy).inc();
    if (exit.exitStatus !== 0) metrics.framesFailed.labels("exit").inc();
    metrics.framesRunning.set(frames.size);
    metrics.completionsQueued.set(completions.size());
    log.info(`frame ended: exit status ${exit.exitStatus}, signal ${exit.exitSignal}`, {
      frameId, job: e.rf.jobName, frame: e.rf.frameName, exitStatus: exit.exitStatus, exitSignal: exit.exitSignal, runTime: exit.runTimeSeconds, killedBy: exit.killedBy, killReason: exit.killReason,
    });
    requestReport();
    if (frames.size === 0) {
      for (const w of drainWaiters) w();
      drainWaiters.clear();
    }
    checkIdleActions();
  }

  function track(e: FrameEntry, f: RunningFrame) {
    e.running = f;
    void f.exited.then((exit) => onFrameEnded(e, exit)).catch((err: unknown) => log.error(`frame end handling failed: ${errMessage(err)}`, { frameId: e.rf.frameId }));
  }

  const softKb = (rf: RunFrame) => (rf.softMemoryLimit > 0n ? Number(rf.softMemoryLimit) : 0);

  async function launch(rf: RunFrame): Promise<void> {
    const id = rf.frameId;
    if (!acceptsFrames(lifecycle)) fail(Code.FailedPrecondition, `Not launching, the agent is ${lifecycle}`);
    if (hardwareState() !== HardwareState.UP) fail(Code.FailedPrecondition, "Not launching, host HardwareState is not Up");
    if (pendingIdle) fail(Code.FailedPrecondition, `Not launching, the host is waiting to ${pendingIdle === "shutdown" ? "shut down" : pendingIdle} when idle`);
    if (!id) fail(Code.InvalidArgument, "Not launching, frame_id is empty");
    if (frames.has(id)) fail(Code.InvalidArgument, `Not launching, frame is already running on this host ${id}`);
    if (rf.uidOptional.case === "uid" && (rf.uidOptional.value < 0 || (rf.uidOptional.value === 0 && !config.runner.allow_root_frames))) {
      fail(Code.InvalidArgument, `Not launching, will not run frame as uid = ${rf.uidOptional.value}`);
    }
    if (rf.numCores <= 0) fail(Code.InvalidArgument, "Not launching, num_cores must be positive");
    if (nimby.locked && !rf.ignoreNimby) fail(Code.Aborted, "Nimby Locked");
    const threadable = pinning && wantsPinning(rf);
    const base = { defaultGid: config.runner.default_gid, cpuIds: [] as number[], hyperthreading: false, gpuIds: [] as number[] };
    try {
      validateFrameSpec(runFrameToSpec(rf, base), { cpuCount });
    } catch (e) {
      if (e instanceof FrameSpecError) fail(Code.InvalidArgument, `Not launching, ${e.message}`);
      throw e;
    }
    // Resources: GPUs, memory (booked soft limits), then whole physical cores.
    const freeGpus = gpuDevices.filter((g) => !bookedGpus.has(g));
    if (rf.numGpus > freeGpus.length) fail(Code.Aborted, `Not launching, insufficient resources: ${rf.numGpus} GPUs requested, ${freeGpus.length} free`);
    const wantKb = softKb(rf);
    if (wantKb > 0) {
      const totalKb = Number(lastHost?.totalMem ?? firstHost.totalMem);
      const idleKb = totalKb - [...frames.values()].reduce((s, f) => s + softKb(f.rf), 0);
      if (wantKb > idleKb) fail(Code.Aborted, `Not launching, not enough idle memory: ${wantKb} KB requested, ${Math.max(0, idleKb)} KB idle of ${totalKb} KB`);
    }
    let booking: Booking;
    try {
      booking = reservations.reserve(coresToBook(rf.numCores, mult), bookingKey(rf));
    } catch (e) {
      const locked = reservations.report(1).lockedCores;
      return fail(Code.Aborted, `Not launching, failed to reserve cpu resources: ${errMessage(e)}${locked > 0 ? " (unlock the host to free locked cores)" : ""}`);
    }
    const gpuIds = freeGpus.slice(0, rf.numGpus);
    for (const g of gpuIds) bookedGpus.add(g);
    const entry: FrameEntry = { rf, booking, gpuIds, running: null, launchedAt: now() };
    frames.set(id, entry);
    const spec = runFrameToSpec(rf, { ...base, cpuIds: threadable ? booking.threadIds : [], hyperthreading: threadable && topology.hyperthreadingMultiplier > 1, gpuIds });
    try {
      await writeSidecar(rf);
      const f = await runner.launch(spec);
      metrics.framesLaunched.inc();
      track(entry, f);
      log.info(`frame started: ${rf.jobName}.${rf.frameName} pid ${f.pid}`, { frameId: id, pid: f.pid, cores: rf.numCores, cpus: spec.reservedCpuIds, user: rf.userName, log: f.logPath });
    } catch (e) {
      frames.delete(id);
      releaseEntry(entry);
      await removeSidecar(id);
      metrics.framesFailed.labels("launch").inc();
      if (frames.size === 0) for (const w of drainWaiters) w();
      log.warn(`frame ${id} not launched: ${errMessage(e)}`, { frameId: id });
      if (e instanceof FrameSpecError) fail(Code.InvalidArgument, `Not launching, ${e.message}`);
      if (e instanceof FrameLaunchError && e.code === "unknown-user") fail(Code.Aborted, `Not launching, user ${rf.userName}(${spec.uid ?? "-"}:${spec.gid}) does not exist on this host`);
      fail(Code.Aborted, `Not launching, ${errMessage(e)}`);
    }
    requestReport();
  }

  function killFrame(frameId: string, reason: string, cause: KillCause = "user") {
    const e = frames.get(frameId);
    if (!e) fail(Code.NotFound, `Could not find frame with id ${frameId} to kill`);
    const f = e!.running;
    if (!f) fail(Code.FailedPrecondition, `Could not kill frame ${frameId} due to: the frame is still starting and has no pid yet`);
    log.info(`killing frame ${frameId}: ${reason}`, { frameId, cause });
    void f!.kill(reason, cause).catch((err: unknown) => log.error(`kill of ${frameId} failed: ${errMessage(err)}`, { frameId }));
  }

  function killAll(reason: string, cause: KillCause, spare: (e: FrameEntry) => boolean = () => false): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const e of frames.values()) {
      if (!e.running || spare(e)) continue;
      waits.push(e.running.kill(reason, cause).catch(() => undefined));
    }
    return Promise.all(waits).then(() => undefined);
  }

  // ---- NIMBY ----
  function ensureDetector(): IdleDetector {
    detector ??= m.nimby_activity_file ? createIdleDetector({ sources: [createActivityFileSource(m.nimby_activity_file, now)], clock: now }) : hostMonitor.createIdleDetector();
    return detector;
  }
  async function evaluateNimby() {
    if (!nimby.enabled && !nimby.locked) return;
    const idle = nimby.enabled ? (await ensureDetector().sample()).idleSeconds : null;
    const { state, action } = stepNimby(nimby, idle, m.nimby_idle_threshold / 1000);
    nimby = state;
    if (action === "lock") {
      log.info("NIMBY: someone is using the host; locked", { idleSeconds: idle, killFrames: m.nimby_kill_frames });
      if (m.nimby_kill_frames) void killAll("Host has been Nimby-Locked", "nimby", (e) => e.rf.ignoreNimby);
      requestReport();
    } else if (action === "unlock") {
      log.info("NIMBY: host idle; unlocked", { idleSeconds: idle });
      requestReport();
    }
  }

  // ---- reboot / restart / shutdown ----
  async function runReboot() {
    rebooting = true;
    requestReport();
    const argv = config.lifecycle.reboot_command;
    log.warn(`rebooting the host: ${argv.join(" ")}`);
    const code = await new Promise<number | string>((resolve) => {
      const p = spawn(argv[0]!, argv.slice(1), { stdio: "ignore" });
      p.once("error", (e) => resolve(e.message));
      p.once("exit", (c, s) => resolve(c ?? String(s)));
    });
    if (code !== 0) {
      log.error(`the reboot command failed (${code}); the host stays locked`, { command: argv });
      rebooting = false;
      requestReport();
    }
  }
  function checkIdleActions() {
    if (!pendingIdle || frames.size > 0) return;
    const action = pendingIdle;
    pendingIdle = null;
    if (action === "reboot") void runReboot();
    else if (action === "restart") stop("detach", config.lifecycle.restart_exit_code);
    else stop("kill", 0);
  }
  function whenIdle(action: IdleAction) {
    reservations.lockAll();
    pendingIdle = action;
    log.info(`will ${action} when idle`, { frames: frames.size });
    requestReport();
    checkIdleActions();
  }

  // ---- lifecycle ----
  let resolveFinished!: (code: number) => void;
  const finished = new Promise<number>((r) => (resolveFinished = r));
  let stopping: Promise<void> | null = null;
  let ticker: NodeJS.Timeout | null = null;
  let stopMode: DrainMode = "wait";
  let escalate: (() => void) | null = null;

  function stop(mode: DrainMode, exitCode = 0) {
    if (stopping) {
      if (mode === "kill" && stopMode !== "kill") {
        stopMode = "kill";
        log.warn("stop requested again: killing the running frames");
        escalate?.();
      }
      return;
    }
    stopMode = mode;
    stopping = (async () => {
      move("drain");
      log.info(`stopping: ${mode === "wait" ? "waiting for running frames" : mode === "kill" ? "killing running frames" : "leaving frames running for the next agent"}`, { frames: frames.size, mode });
      requestReport();
      if (mode !== "detach") {
        const killNow = () => killAll("openrqd is shutting down", "shutdown");
        escalate = () => void killNow();
        if (mode === "kill") void killNow();
        else if (config.lifecycle.drain_timeout > 0) setTimeout(() => escalate?.(), config.lifecycle.drain_timeout).unref();
        await framesGone();
      }
      move("drained");
      if (ticker) clearInterval(ticker);
      // Give queued completions a moment; whatever is left stays on disk for the next start.
      if (startupAcked) await completions.drain(Math.min(5000, m.frame_complete_send_timeout));
      await reportChain.catch(() => undefined);
      if (startupAcked) await client.status(await collectHostReport(), { retryAttempts: 0 }).catch(() => undefined);
      stopAbort.abort();
      await completions.stop();
      await server?.close();
      await http?.close();
      client.close();
      move("stopped");
      log.info("openrqd stopped", { exitCode, framesLeftRunning: frames.size, completionsQueued: completions.size() });
      resolveFinished(exitCode);
    })().catch((e: unknown) => {
      log.error(`stop failed: ${errMessage(e)}`);
      resolveFinished(1);
    });
  }

  // ---- the gRPC servant's operations ----
  const getEntry = (frameId: string, suffix = "") => {
    const e = frames.get(frameId);
    if (!e) fail(Code.NotFound, `Could not find frame with id ${frameId}${suffix}`);
    return e!;
  };
  const ops: RqdOps = {
    launch,
    kill: (frameId, message) => killFrame(frameId, message),
    runFrame: (frameId) => getEntry(frameId).rf,
    frameInfo: (frameId, suffix) => frameInfo(getEntry(frameId, suffix)),
    hostReport: () => collectHostReport(),
    lock(units) {
      const n = reservations.lock(coresToBook(units, mult));
      log.info(`locked ${n} cores`, { requested: units });
      requestReport();
    },
    unlock(units) {
      const n = reservations.unlock(coresToBook(units, mult));
      if (pendingIdle) log.info(`unlock cancels the pending ${pendingIdle}`);
      pendingIdle = null;
      log.info(`unlocked ${n} cores`, { requested: units });
      requestReport();
    },
    lockAll() {
      reservations.lockAll();
      log.info("locked all cores");
      requestReport();
    },
    unlockAll() {
      reservations.unlockAll();
      if (pendingIdle) log.info(`unlock cancels the pending ${pendingIdle}`);
      pendingIdle = null;
      log.info("unlocked all cores");
      requestReport();
    },
    nimbyOn() {
      nimby = { ...nimby, enabled: true };
      log.info("NIMBY on");
      void evaluateNimby().then(requestReport);
    },
    nimbyOff() {
      nimby = { ...nimby, enabled: false };
      log.info("NIMBY off");
      void evaluateNimby().then(requestReport);
    },
    rebootNow() {
      reservations.lockAll();
      rebooting = true;
      requestReport();
      void killAll("Host is rebooting (RebootNow)", "shutdown").then(() => completions.drain(Math.min(5000, m.frame_complete_send_timeout))).then(runReboot);
    },
    rebootIdle: () => whenIdle("reboot"),
    restartNow: () => stop("detach", config.lifecycle.restart_exit_code),
    restartIdle: () => whenIdle("restart"),
    shutdownNow: () => stop("kill", 0),
    shutdownIdle: () => whenIdle("shutdown"),
  };

  // ---- recovery: frames the previous agent left ----
  const recovered = await runner.recover();
  for (const p of recovered.problems) log.warn(`recovery: ${p}`);
  const known = new Set<string>();
  for (const f of recovered.adopted) {
    known.add(f.spec.frameId);
    const rf = (await readSidecar(f.spec.frameId)) ?? runFrameFromSpec(f.spec);
    let booking: Booking | null = null;
    try {
      booking = f.spec.reservedCpuIds.length > 0 && pinning ? reservations.reserveThreads(f.spec.reservedCpuIds, bookingKey(rf)) : reservations.reserve(coresToBook(f.spec.numCores, mult), bookingKey(rf));
    } catch (e) {
      log.warn(`re-adopted frame ${f.spec.frameId} could not book its cores again: ${errMessage(e)}`, { frameId: f.spec.frameId });
    }
    for (const g of f.spec.gpuIds) bookedGpus.add(g);
    const entry: FrameEntry = { rf, booking, gpuIds: f.spec.gpuIds, running: null, launchedAt: f.stats().startTime };
    frames.set(f.spec.frameId, entry);
    track(entry, f);
    log.info(`re-adopted running frame ${rf.jobName}.${rf.frameName} pid ${f.pid}`, { frameId: f.spec.frameId, pid: f.pid });
  }
  for (const f of recovered.finished) {
    known.add(f.spec.frameId);
    const rf = (await readSidecar(f.spec.frameId)) ?? runFrameFromSpec(f.spec);
    await completions.enqueue(completionReport(await readHost(), runningFrameInfo(rf, null, f.exit.startedAt), f.exit));
    await removeSidecar(f.spec.frameId);
    log.info(`frame ${f.spec.frameId} ended while the agent was down: exit status ${f.exit.exitStatus}, signal ${f.exit.exitSignal}; completion queued`, { frameId: f.spec.frameId });
  }
  // A RunFrame without a frame record: the agent died between the frame's end and its completion being queued.
  const pending = await completions.pendingFrameIds();
  for (const file of (await readdir(runFramesDir)).filter((f) => f.endsWith(".bin"))) {
    const frameId = file.slice(0, -4);
    if (known.has(frameId)) continue;
    if (!pending.has(frameId)) {
      const rf = await readSidecar(frameId);
      if (rf) {
        const t = now();
        await completions.enqueue(completionReport(await readHost(), runningFrameInfo(rf, null, t), { ...UNKNOWN_EXIT, runTimeSeconds: 0, maxRssKb: 0 }));
        log.warn(`frame ${frameId} ended while the agent was down and its exit status is lost; reported as exit ${UNKNOWN_EXIT.exitStatus}, signal ${UNKNOWN_EXIT.exitSignal}`, { frameId });
      }
    }
    await removeSidecar(frameId);
  }

  // ---- serve ----
  let server: RqdServer | null = null;
  try {
    server = await createRqdServer({ host: bindAddress, port: config.grpc.rqd_port, ops, log });
  } catch (e) {
    await completions.stop();
    throw new AgentError(`cannot listen on ${bindAddress}:${config.grpc.rqd_port}: ${errMessage(e)}`, "bind", (e as NodeJS.ErrnoException).code === "EADDRNOTAVAIL" ? "grpc.rqd_bind_address" : "grpc.rqd_port");
  }
  let http: HttpEndpoints | null = null;
  if (config.metrics.enabled) {
    try {
      http = await startHttpEndpoints({
        port: config.metrics.port, host: config.metrics.host, registry: metrics.registry,
        health: () => ({ healthy: lifecycle === "running", details: { state: lifecycle, cuebot: startupAcked ? (cuebotOk === false ? "unreachable" : "ok") : "not yet reported", frames: frames.size, completionsQueued: completions.size(), nimbyLocked: nimby.locked } }),
      });
    } catch (e) {
      await server.close();
      await completions.stop();
      throw new AgentError(`cannot serve /metrics on ${config.metrics.host}:${config.metrics.port}: ${errMessage(e)}`, "metrics", "metrics.port");
    }
  }

  const r0 = reservations.report(1);
  log.info(`openrqd ${OPENRQD_VERSION} serving rqd.RqdInterface and rqd.RunningFrame on ${server.address}`, {
    version: OPENRQD_VERSION, configFile: opts.configFile ?? null, pid: process.pid, agentUser: userInfo().username,
    hostName, address: server.address, port: server.port, metricsPort: http?.port ?? null, cuebot: config.grpc.cuebot_endpoints,
    cores: r0.totalCores, realCores: topology.physicalCores, logicalCpus: cpuCount, pinning: pinningNote,
    memoryKb: Number(firstHost.totalMem), facility: firstHost.facility, tags: firstHost.tags, frameUsers: isRoot ? "frames run as the RunFrame's user" : "not root: frames run as the agent's user",
    stateDir: framesDir, completionsDir, completionsQueued: completions.size(), readopted: recovered.adopted.length, nimby: nimby.enabled,
  });
  log.info(pinningNote);
  move("started");
  if (nimby.locked) log.info("NIMBY: locked at start (machine.nimby_lock_by_default)");

  // ---- report loop ----
  let ticking = false;
  async function tick() {
    if (ticking || lifecycle === "stopped") return;
    ticking = true;
    try {
      const report = await collectHostReport();
      if (startupAcked) await sendStatus(report);
      await evaluateNimby();
      const host = lastHost;
      if (host && host.totalMem > 0n) {
        const decision = await runner.relieveMemoryPressure({ totalKb: Number(host.totalMem), freeKb: Number(host.freeMem) }, { marginPercent: m.memory_oom_margin_percentage });
        if (decision.victims.length > 0) log.warn(`host memory at ${decision.usagePercent}%: killing ${decision.victims.map((v) => v.frameId).join(", ")}`);
      }
      const active = new Set([...frames.values()].map((e) => bookingKey(e.rf)));
      for (const b of reservations.sanitize(active)) log.warn(`cleaning up dangling reservation ${b.resourceId}`);
      checkIdleActions();
    } catch (e) {
      log.warn(`monitor tick failed: ${errMessage(e)}`);
    } finally {
      ticking = false;
    }
  }
  ticker = setInterval(() => void tick(), m.monitor_interval);

  void (async () => {
    while (!startupAcked && !stopAbort.signal.aborted) {
      try {
        const host = await readHost();
        await client.startup(create(BootReportSchema, { host, coreInfo: coreDetail() }), { signal: stopAbort.signal });
        startupAcked = true;
        log.info(`startup report acknowledged by Cuebot at ${client.endpoint}`);
        completions.start();
        void tick();
      } catch (e) {
        if (stopAbort.signal.aborted) break;
        log.warn(`startup report failed, retrying in ${m.frame_complete_delivery_interval} ms: ${errMessage(e)}`);
        await sleep(m.frame_complete_delivery_interval);
      }
    }
  })();

  return {
    hostName,
    grpcAddress: server.address,
    grpcPort: server.port,
    metricsPort: http?.port ?? null,
    state: () => lifecycle,
    stop,
    finished,
  };
}
