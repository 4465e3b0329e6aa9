// The scheduler service: an explicit state machine (created -> starting -> running -> stopping ->
// stopped) around background loops (heartbeat + leases, cluster reload, awake scan, accounting
// recompute) and `queue.stream.cluster_buffer_size` pass workers. A pass takes one owned, awake,
// non-sleeping cluster in round-robin order, reads its jobs, hosts (kept between passes, see
// dispatch/host-cache.ts) and layers (a few indexed queries), asks scheduler-core's plan() for the
// decisions (pure), then books them in batches through the process's booking queue (one statement at a
// time, see dispatch/booking-queue.ts) and launches them on RQD (unless dry run), compensating failed
// launches exactly. Problems (database down, bad facility,
// tags, shows) are logged and counted and the service keeps retrying: it never exits for them.
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Kysely } from "kysely";
import type { Database } from "@opencue-ts/cuebot-db";
import type { HealthReport, Logger } from "@opencue-ts/service-kit";
import type { RunFrame } from "@opencue-ts/proto";
import type { SchedulerConfig } from "../config/scheduler-config.js";
import { activeScan, isClusterActive, loadClusters, resolveFacility, resolveShows, showsWithoutSubscriptions, type Cluster, type ClusterScope } from "../db/clusters.js";
import { queryJobs, type DispatchJob } from "../db/jobs.js";
import { queryHosts, type DispatchHost } from "../db/hosts.js";
import { queryPassLayers } from "../db/layers.js";
import { bookFrame, compensateBooking, type FrameBooking } from "../db/booking.js";
import { bookFrames, type BatchOutcome } from "../db/batch-booking.js";
import { managedShowIds, recomputeAccounting } from "../db/recompute.js";
import { createLeaseManager, ensureCoordinationTables, type LeaseManager } from "../coordination/lease-manager.js";
import { plan, planOptionsFromConfig, type PlanOptions, type Reservation } from "@opencue-ts/scheduler-core";
import { queryPlanInputs } from "../db/plan-inputs.js";
import type { DispatchLayer } from "../db/layers.js";
import { buildPassSnapshot, type Decision } from "../dispatch/pass-snapshot.js";
import { buildRunFrame } from "../dispatch/run-frame.js";
import { createFrameClaims } from "../dispatch/frame-claims.js";
import { createHostCache, type HostIdle } from "../dispatch/host-cache.js";
import { createBookingQueue } from "../dispatch/booking-queue.js";
import { createRqdLauncher, type RqdLauncher } from "../rqd/rqd-launcher.js";
import { createSchedulerMetrics, type SchedulerMetrics } from "../metrics.js";
import { errorMessage, SchedulerError, type SchedulerErrorCode } from "../errors.js";

export type ServiceState = "created" | "starting" | "running" | "stopping" | "stopped";

export interface SchedulerServiceOptions {
  readonly config: SchedulerConfig;
  readonly db: Kysely<Database>;
  /** Where batch booking statements run, queue.booking_statements at a time (default: db). See database-setup's bookingDbConfig. */
  readonly bookingDb?: Kysely<Database>;
  readonly logger: Logger;
  readonly metrics?: SchedulerMetrics;
  /** Default: a gRPC launcher on rqd.grpc_port. */
  readonly launcher?: RqdLauncher;
  /** Default: instance.id, else "<host>:<pid>:<random>". */
  readonly instanceId?: string;
  /** Wall clock in ms (RunFrame start_time, time-to-book). */
  readonly now?: () => number;
}

export interface SchedulerStats {
  readonly framesBooked: number;
  readonly framesLaunched: number;
  readonly launchFailures: number;
  /** Booking transactions that booked nothing (frame taken, host exhausted, caps...). */
  readonly wastedAttempts: number;
  readonly bookingAttempts: number;
  readonly passes: number;
  /** performance.now() of the first and last booking (null before any). */
  readonly firstBookingAt: number | null;
  readonly lastBookingAt: number | null;
  readonly clustersOwned: number;
  readonly clustersTotal: number;
  readonly liveInstances: number;
}

export interface SchedulerService {
  readonly instanceId: string;
  readonly metrics: SchedulerMetrics;
  state(): ServiceState;
  /** Connects, checks the scope, takes the first leases and starts the loops. */
  start(): Promise<void>;
  /** Graceful: no new bookings; bookings and launches in flight finish; leases are released. */
  stop(): Promise<void>;
  /** Resolves when the service has stopped (stop(), or queue.empty_job_cycles_before_quiting). */
  readonly stopped: Promise<void>;
  stats(): SchedulerStats;
  health(): HealthReport;
}

const IDLE_LAP_MS = 100;

/** What a decision takes from its host. */
const roomOf = (d: Decision): HostIdle => ({ idleCoreUnits: d.coreUnits, idleMemoryKb: d.memoryKb, idleGpus: d.gpus, idleGpuMemoryKb: d.gpuMemoryKb });
/** A batch aborted because another booking took the cap's room after its snapshot (see batch-booking.ts). */
const isCapRace = (o: BatchOutcome): o is Extract<BatchOutcome, { kind: "aborted" }> => o.kind === "aborted" && o.reason.startsWith("limit_");
const CLAIM_MS = 5000;

type PassReason = "booked" | "saturated" | "no_jobs" | "query_error";

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** A counting semaphore bounding concurrent booking transactions (the pool must not run dry). */
function createSemaphore(size: number) {
  let free = size;
  const waiters: (() => void)[] = [];
  return {
    async acquire(): Promise<void> {
      if (free > 0) {
        free--;
        return;
      }
      await new Promise<void>((r) => waiters.push(r));
    },
    release(): void {
      const w = waiters.shift();
      if (w) w();
      else free++;
    },
  };
}

export function createSchedulerService(o: SchedulerServiceOptions): SchedulerService {
  const cfg = o.config;
  const log = o.logger;
  const db = o.db;
  const metrics = o.metrics ?? createSchedulerMetrics();
  const wallNow = o.now ?? (() => Date.now());
  const instanceId = o.instanceId ?? cfg.instance.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const launcher = o.launcher ?? createRqdLauncher({ port: cfg.rqd.grpc_port, timeoutMs: cfg.rqd.launch_timeout });
  const leases: LeaseManager = createLeaseManager({ db, instanceId, hostName: hostname(), pid: process.pid, leaseMs: cfg.instance.lease_duration });
  const m = cfg.queue.core_multiplier;
  const planOptions: PlanOptions = planOptionsFromConfig(cfg);
  const strategy = cfg.queue.host_booking_strategy.type;
  // Reservations of each cluster's last pass, handed to its next one (EASY backfill across passes).
  const reservationsByCluster = new Map<string, readonly Reservation[]>();
  // Unplaceable layers already reported (layer id -> reason): one log line per layer, not per pass.
  const unplaceableSeen = new Map<string, string>();
  const bookingSlots = createSemaphore(Math.max(1, cfg.database.pool_size - 1));

  let state: ServiceState = "created";
  const abort = new AbortController();
  // Every idle pass worker and background loop waits on this signal: more than Node's default 10.
  setMaxListeners(cfg.queue.stream.cluster_buffer_size + 16, abort.signal);
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));

  // Scope and cluster universe.
  let scope: ClusterScope | null = null;
  let universe: Cluster[] = [];
  let active: Set<string> | null = null; // null: scan not done yet (everything awake)
  const sleepingUntil = new Map<string, number>();
  const lastPassAt = new Map<string, number>();
  const inPass = new Set<string>();
  let rrIndex = 0;
  let liveInstances = 1;
  let dbUp = true;
  const problemsNow = new Map<SchedulerErrorCode | string, string>();

  // Hosts whose launch failed are left alone for rqd.host_backoff.
  const hostBackoff = new Map<string, number>();
  // One booking at a time per host in this process, so passes of clusters sharing a host queue up
  // instead of failing each other's advisory try-lock.
  const hostQueues = new Map<string, Promise<void>>();
  // Frames booked or being booked by this process, left out of other passes' snapshots (see frame-claims.ts).
  const claims = createFrameClaims({ ttlMs: CLAIM_MS });
  const hostCache = createHostCache({ refreshMs: cfg.host_cache.monitoring_interval });
  const bookingQueue = createBookingQueue({ maxFrames: cfg.queue.booking_batch_size, statements: cfg.queue.booking_statements, run: (list) => bookFrames(o.bookingDb ?? db, list) });

  let framesBooked = 0, framesLaunched = 0, launchFailures = 0, wasted = 0, attempts = 0, passes = 0;
  let firstBookingAt: number | null = null, lastBookingAt: number | null = null;
  let idleRounds = 0;
  let wake: (() => void) | null = null;

  function problem(code: SchedulerErrorCode | string, message: string, meta: Record<string, unknown> = {}): void {
    metrics.problems.inc({ code });
    if (problemsNow.get(code) !== message) log.error(message, { code, ...meta });
    problemsNow.set(code, message);
  }
  function clearProblem(code: string): void {
    if (problemsNow.delete(code)) log.info(`resolved: ${code}`);
  }

  function dbFailed(e: unknown, what: string): void {
    dbUp = false;
    metrics.databaseUp.set(0);
    problem("DATABASE_UNREACHABLE", `database error while ${what}: ${errorMessage(e)}`);
  }
  function dbOk(): void {
    if (!dbUp) {
      dbUp = true;
      clearProblem("DATABASE_UNREACHABLE");
    }
    metrics.databaseUp.set(1);
  }

  async function resolveScope(): Promise<ClusterScope | null> {
    const s = cfg.scheduler;
    let facilityId: string | null = null;
    if (s.facility) {
      facilityId = await resolveFacility(db, s.facility);
      if (facilityId === null) {
        problem("INVALID_FACILITY", `scheduler.facility "${s.facility}" names no facility in the database; nothing is scheduled until it exists`);
        return null;
      }
      clearProblem("INVALID_FACILITY");
    }
    let showIds: string[] = [];
    if (s.shows.length > 0) {
      const r = await resolveShows(db, s.shows);
      if (r.missing.length > 0) problem("INVALID_SHOW", `scheduler.shows: no show named ${r.missing.map((n) => `"${n}"`).join(", ")}`);
      else clearProblem("INVALID_SHOW");
      if (r.ids.length === 0) return null;
      showIds = r.ids;
    }
    return {
      facilityId, showIds, ignoreTags: s.ignore_tags, allocTags: s.alloc_tags, manualTags: s.manual_tags,
      manualChunkSize: cfg.queue.manual_tags_chunk_size, hostnameChunkSize: cfg.queue.hostname_tags_chunk_size,
    };
  }

  async function reloadClusters(): Promise<void> {
    try {
      const next = await resolveScope();
      scope = next;
      if (next === null) {
        universe = [];
        return;
      }
      const clusters = await loadClusters(db, next);
      dbOk();
      const keys = new Set(clusters.map((c) => c.key));
      for (const k of [...sleepingUntil.keys()]) if (!keys.has(k)) sleepingUntil.delete(k);
      const changed = clusters.length !== universe.length || clusters.some((c, i) => universe[i]?.key !== c.key);
      universe = clusters;
      // Host tags or subscriptions may have changed with the clusters: read every cluster's hosts again.
      hostCache.clear();
      if (changed) {
        rrIndex = 0;
        log.info("clusters loaded", { clusters: clusters.length, byType: countByType(clusters) });
      }
      for (const type of ["alloc", "manual", "hostname", "hardware"] as const) metrics.clustersTotal.set({ cluster_type: type }, clusters.filter((c) => c.type === type).length);
      // Configured tags that match nothing are almost always typos.
      const present = new Set(clusters.flatMap((c) => c.tags.map((t) => t.name)));
      const unknown = [...cfg.scheduler.alloc_tags, ...cfg.scheduler.manual_tags].filter((t) => !present.has(t));
      if (unknown.length > 0) problem("UNKNOWN_TAG", `scheduler tags ${unknown.map((t) => `"${t}"`).join(", ")} match no host tag of a scheduled show`);
      else clearProblem("UNKNOWN_TAG");
      const orphans = await showsWithoutSubscriptions(db, next);
      if (orphans.length > 0) problem("SHOW_WITHOUT_SUBSCRIPTIONS", `shows ${orphans.map((n) => `"${n}"`).join(", ")} have no subscription: their jobs can never be booked`);
      else clearProblem("SHOW_WITHOUT_SUBSCRIPTIONS");
    } catch (e) {
      dbFailed(e, "loading clusters");
    }
  }

  async function scanActive(): Promise<void> {
    if (scope === null) return;
    const t = performance.now();
    try {
      const next = await activeScan(db, scope);
      metrics.activeScanDuration.observe((performance.now() - t) / 1000);
      metrics.activeTags.set(next.size);
      const wasEmpty = active !== null && active.size === 0;
      active = next;
      for (const k of [...sleepingUntil.keys()]) {
        const c = universe.find((u) => u.key === k);
        if (c && !isClusterActive(c, next)) sleepingUntil.delete(k);
      }
      if (wasEmpty && next.size > 0) wake?.();
    } catch (e) {
      dbFailed(e, "scanning for waiting work");
    }
  }

  async function heartbeat(): Promise<void> {
    try {
      // coordination: none still registers the instance (for liveness and the recompute leader).
      const t = await leases.tick(cfg.instance.coordination === "none" ? [] : universe.map((c) => c.key));
      dbOk();
      liveInstances = t.live.length;
      metrics.instancesLive.set(t.live.length);
      metrics.clustersOwned.set(t.owned.size);
      if (t.gained.length > 0 || t.lost.length > 0) log.info("cluster leases changed", { instance: instanceId, owned: t.owned.size, gained: t.gained.length, lost: t.lost.length, liveInstances: t.live.length });
      if (t.gained.length > 0) wake?.();
    } catch (e) {
      dbFailed(e, "renewing cluster leases");
      metrics.clustersOwned.set(0);
    }
  }

  async function recompute(): Promise<void> {
    if (!leases.isLeader() || scope === null) return;
    const t = performance.now();
    try {
      const shows = [...new Set(universe.map((c) => c.showId))];
      await recomputeAccounting(db, await managedShowIds(db, shows));
    } catch (e) {
      log.warn("accounting recompute failed", { error: errorMessage(e) });
    } finally {
      metrics.recomputeDuration.observe((performance.now() - t) / 1000);
    }
  }

  function runnableClusters(): Cluster[] {
    const now = performance.now();
    const shared = cfg.instance.coordination === "none";
    return universe.filter((c) => (shared || leases.owns(c.key)) && !inPass.has(c.key) && (active === null || isClusterActive(c, active)) && (sleepingUntil.get(c.key) ?? 0) <= now);
  }

  function putToSleep(c: Cluster, ms: number): void {
    sleepingUntil.set(c.key, performance.now() + ms);
    lastPassAt.delete(c.key);
  }

  // An idle round is a lap of the loop that found nothing to do, counted once per IDLE_LAP_MS however
  // many workers notice it; and an instance still waiting for its first leases is not idle yet (else a
  // joining instance would quit before the others hand it its share).
  let lastIdleAt = -Infinity;
  let runningSince = 0;
  function noteIdle(): void {
    const limit = cfg.queue.empty_job_cycles_before_quiting;
    if (limit === null) return;
    // A pass still in flight (a long booking, a slow read) may yet book: not idle.
    if (inPass.size > 0) return;
    const now = performance.now();
    if (now - lastIdleAt < IDLE_LAP_MS) return;
    if (cfg.instance.coordination !== "none" && leases.ownedCount() === 0 && now - runningSince < 2 * cfg.instance.lease_duration) return;
    lastIdleAt = now;
    if (++idleRounds >= limit && state === "running") {
      log.info("stopping: queue.empty_job_cycles_before_quiting reached", { rounds: idleRounds });
      void stop();
    }
  }

  type PassResult = { reason: PassReason; booked: number };
  /**
   * Reads and plans one pass; its bookings, if any, are returned still running (`booking`), so the
   * worker can read and plan its next pass meanwhile (the booking queue merges the batches).
   */
  async function runPass(c: Cluster): Promise<PassResult | { booking: Promise<PassResult> }> {
    const tagNames = c.tags.map((t) => t.name);
    // Reads in two rounds of concurrent queries: jobs and hosts; then the jobs' layers and frames
    // and the plan inputs (subscriptions, folders, limits, runtimes, running procs).
    let jobs: DispatchJob[];
    const kept = hostCache.get(c.key);
    const cachedHosts = kept !== undefined;
    const tq = performance.now();
    const readAt = hostCache.now();
    const hostsRead = kept ? null : queryHosts(db, { showId: c.showId, facilityId: c.facilityId, tags: tagNames, stalenessSeconds: cfg.host_cache.host_staleness_threshold / 1000 });
    hostsRead?.catch(() => undefined); // awaited below; a jobs failure must not leave it unhandled
    try {
      jobs = await queryJobs(db, { showId: c.showId, facilityId: c.facilityId, tags: tagNames, coreMultiplier: m, limit: cfg.queue.max_jobs_per_cluster_pass });
      metrics.jobQueryDuration.observe((performance.now() - tq) / 1000);
      dbOk();
    } catch (e) {
      dbFailed(e, "querying jobs");
      return { reason: "query_error", booked: 0 };
    }
    metrics.jobsQueried.inc(jobs.length);
    if (jobs.length === 0) return { reason: "no_jobs", booked: 0 };
    let passHosts: readonly DispatchHost[];
    try {
      passHosts = kept ?? hostCache.put(c.key, await hostsRead!, readAt);
    } catch (e) {
      dbFailed(e, "querying hosts");
      return { reason: "query_error", booked: 0 };
    }
    // The host query returns only hosts with a core idle; a kept list may have filled up since.
    if (!passHosts.some((h) => h.idleCoreUnits >= m)) {
      hostCache.invalidate(c.key);
      return { reason: "saturated", booked: 0 };
    }
    const now = performance.now();
    for (const [h, until] of hostBackoff) if (until <= now) hostBackoff.delete(h);
    metrics.hostsBackedOff.set(hostBackoff.size);
    const excludedHosts = new Set(hostBackoff.keys());
    const jobIds = jobs.map((j) => j.id);
    const layersByJob = new Map<string, readonly DispatchLayer[]>();
    const pass = await (async () => {
      try {
        const [layers, inputs] = await Promise.all([
          queryPassLayers(db, { jobIds, tags: tagNames, framesPerLayer: cfg.queue.dispatch_frames_per_layer_limit }),
          queryPlanInputs(db, {
            showId: c.showId, folderIds: [...new Set(jobs.map((j) => j.folderId))], jobIds,
            hostIds: passHosts.filter((h) => !excludedHosts.has(h.id)).map((h) => h.id), withProcs: planOptions.reservations,
          }),
        ]);
        claims.prune();
        for (const j of jobs) {
          metrics.jobsProcessed.inc({ show_name: j.showName });
          const list = layers.get(j.id) ?? [];
          layersByJob.set(j.id, claims.size === 0 ? list : list.map((l) => ({ ...l, frames: l.frames.filter((f) => !claims.has(f.id)) })));
        }
        // Other passes have booked or planned meanwhile: their room is gone from these hosts.
        hostCache.update(passHosts);
        return buildPassSnapshot({
          showId: c.showId, showName: jobs[0]!.showName, facilityId: c.facilityId, jobs, layers: layersByJob, hosts: passHosts, inputs,
          excludedHosts, reservations: reservationsByCluster.get(c.key) ?? [],
        });
      } catch (e) {
        dbFailed(e, "querying layers, frames, subscriptions, folders and limits");
        return null;
      }
    })();
    const layerList = [...layersByJob.values()].flat();
    if (pass === null) return { reason: "query_error", booked: 0 };
    let result;
    const tp = performance.now();
    try {
      result = plan(pass.snapshot, planOptions, wallNow());
    } catch (e) {
      // An inconsistent snapshot is a bug or a database oddity, never a reason to crash the loop.
      problem("PLAN_FAILED", `scheduler-core rejected the pass snapshot of cluster ${c.key}: ${errorMessage(e)}`);
      return { reason: "query_error", booked: 0 };
    }
    reservationsByCluster.set(c.key, result.reservations);
    metrics.planReservations.set({ cluster_type: c.type }, result.reservations.length);
    const layerName = new Map(layerList.map((l) => [l.id, l]));
    for (const u of result.unplaceable) {
      metrics.layersUnplaceable.inc({ reason: u.reason });
      if (unplaceableSeen.get(u.layerId) === u.reason) continue;
      if (unplaceableSeen.size > 10_000) unplaceableSeen.clear();
      unplaceableSeen.set(u.layerId, u.reason);
      const l = layerName.get(u.layerId);
      log.warn("layer can never be placed on this cluster's hosts; it is skipped until the farm changes", { layer: l ? `${l.jobName}/${l.name}` : u.layerId, reason: u.reason, detail: u.detail, cluster: c.key });
    }
    let noCandidate = 0, capSkips = 0;
    const blockedBy: Record<string, number> = {};
    for (const b of result.blocked) {
      blockedBy[b.reason] = (blockedBy[b.reason] ?? 0) + 1;
      metrics.layersBlocked.inc({ reason: b.reason });
      if (b.reason === "no-idle-host" || b.reason === "held-by-reservation" || b.reason === "host-attempts-per-layer") noCandidate++;
      else if (b.reason === "job-max-cores" || b.reason === "folder-max-cores" || b.reason === "job-max-gpus" || b.reason === "folder-max-gpus") capSkips++;
    }
    metrics.noCandidateIterations.inc(noCandidate);
    // Frames left waiting for a host: hosts may have been freed since the list was read.
    if (noCandidate > 0) hostCache.invalidate(c.key);
    metrics.jobCapPrecheckSkip.inc(capSkips);
    if (noCandidate > 0) metrics.checkoutOutcome.inc({ outcome: "no_match" }, noCandidate);
    const decisions: Decision[] = [];
    const hostsPerLayer = new Map<string, Set<string>>();
    for (const b of result.bookings) {
      const d = pass.decisionOf(b);
      if (!d) continue;
      decisions.push(d);
      let set = hostsPerLayer.get(b.layerId);
      if (!set) hostsPerLayer.set(b.layerId, (set = new Set()));
      set.add(b.hostId);
    }
    // Hosts tried per booked layer (+1, the reference's count of the final failed checkout).
    for (const set of hostsPerLayer.values()) metrics.candidatesPerLayer.observe(set.size + 1);
    const limitedLayers = new Set([...pass.snapshot.layers].filter((l) => l.limitIds.length > 0).map((l) => l.id));
    const tb = performance.now();
    const booking = executeDecisions(decisions, limitedLayers).then((booked): PassResult => {
      log.debug("cluster pass", { cluster: c.key, jobs: jobs.length, hosts: passHosts.length, cachedHosts, blocked: blockedBy, decisions: decisions.length, booked, readMs: Math.round(tp - tq), planMs: Math.round(tb - tp), bookMs: Math.round(performance.now() - tb) });
      return { reason: booked > 0 ? "booked" : "saturated", booked };
    });
    return { booking };
  }

  async function executeDecisions(decisions: readonly Decision[], limitedLayers: ReadonlySet<string>): Promise<number> {
    claims.claim(decisions.map((d) => d.frame.id));
    // The planned room stays held on each host until its booking is decided (see dispatch/host-cache.ts).
    const holds = new Map<string, Decision>();
    for (const d of decisions) {
      holds.set(d.frame.id, d);
      hostCache.hold(d.host.id, roomOf(d));
    }
    const unhold = (frameId: string) => {
      const d = holds.get(frameId);
      if (!d) return;
      holds.delete(frameId);
      hostCache.release(d.host.id, roomOf(d));
    };
    const keep = new Set<string>();
    try {
      const { booked: batched, rest } = await executeBatches(decisions, limitedLayers, keep, unhold);
      return batched + await executeOneByOne(rest, keep);
    } finally {
      for (const id of [...holds.keys()]) unhold(id);
      // Booked frames stay claimed; the rest may be planned again at once. A frame another transaction
      // held (frame_taken) is not kept out: that booking may yet be refused, and once it commits the
      // next read no longer returns the frame.
      claims.release(decisions.filter((d) => !keep.has(d.frame.id)).map((d) => d.frame.id));
    }
  }

  /**
   * Books decisions in batches (one statement each, see db/batch-booking.ts): every frame that passes
   * its guards is booked, each other one is counted with its reason and left for a later pass (which
   * reads the farm again). A batch that aborts (a write not matching its check) writes nothing; its
   * decisions go to the one-by-one path, as do layers with limit records.
   */
  async function executeBatches(decisions: readonly Decision[], limitedLayers: ReadonlySet<string>, keep: Set<string>, unhold: (frameId: string) => void): Promise<{ booked: number; rest: Decision[] }> {
    const batchSize = cfg.queue.booking_batch_size;
    const rest: Decision[] = [];
    const byHost = new Map<string, Decision[]>();
    for (const d of decisions) {
      if (batchSize <= 1 || limitedLayers.has(d.layer.id)) {
        rest.push(d);
        continue;
      }
      let list = byHost.get(d.host.id);
      if (!list) byHost.set(d.host.id, (list = []));
      list.push(d);
    }
    // Whole hosts per batch: a host's frames are checked together against its room, and two batches of
    // one pass never compete for the same host lock.
    const batches: Decision[][] = [];
    let current: Decision[] = [];
    for (const list of byHost.values()) {
      if (current.length > 0 && current.length + list.length > batchSize) {
        batches.push(current);
        current = [];
      }
      current.push(...list);
    }
    if (current.length > 0) batches.push(current);
    let booked = 0;
    // A pass's batches are booked one after another: concurrent batches of one pass would queue on the
    // same hot rows (job_stat, layer_stat and the accounting rows its frames share) and gain nothing.
    // Launches run in the background meanwhile.
    const launches: Promise<void>[] = [];
    for (const batch of batches) {
      if (batch.length < 2 || state !== "running") {
        rest.push(...batch);
        continue;
      }
      const prepared = batch.map((d) => ({ d, p: prepare(d) }));
      const ok = prepared.filter((x): x is { d: Decision; p: NonNullable<typeof x.p> } => x.p !== null);
      await bookingSlots.acquire();
      let outcome: BatchOutcome;
      try {
        // Through the process's booking queue: with the batches of the other passes ready now.
        outcome = await bookingQueue.book(ok.map((x) => x.p.b));
        // A cap race (another booking took the room after this statement's snapshot): once more, on a
        // fresh snapshot, before going frame by frame.
        if (isCapRace(outcome)) {
          metrics.bookingOutcome.inc({ outcome: `batch_retried_${outcome.reason}` });
          outcome = await bookingQueue.book(ok.map((x) => x.p.b));
        }
        if (outcome.kind === "ran") for (const [id, idle] of outcome.hosts) hostCache.booked(id, idle);
      } catch (e) {
        metrics.bookingOutcome.inc({ outcome: "batch_db_error" });
        log.warn("batch booking failed; booking one by one", { frames: ok.length, error: errorMessage(e) });
        rest.push(...ok.map((x) => x.d));
        continue;
      } finally {
        bookingSlots.release();
        // Booked (the host's new idle values come with the outcome), refused or left to the one-by-one path.
        for (const x of ok) unhold(x.p.b.frameId);
      }
      if (outcome.kind === "aborted") {
        metrics.bookingOutcome.inc({ outcome: `batch_aborted_${outcome.reason}` });
        // A cap race twice in a row is normal on a saturated show; anything else is worth a look.
        const level = isCapRace(outcome) ? "debug" : "warn";
        log[level]("batch booking aborted, nothing written; booking one by one", { frames: ok.length, reason: outcome.reason });
        rest.push(...ok.map((x) => x.d));
        continue;
      }
      const done = outcome;
      const won: typeof ok = [];
      for (const x of ok) {
        const why = outcome.refused.get(x.p.b.frameId);
        if (why === "layer_limits" || why === "statement_aborted") {
          // A limit record appeared since the read, or this frame's part of the batch aborted (nothing
          // written): the one-by-one path checks it.
          rest.push(x.d);
          continue;
        }
        attempts++;
        if (why === undefined) {
          won.push(x);
          continue;
        }
        wasted++;
        if (why === "host_exhausted" || why === "host_locked") hostCache.refused(x.d.host.id);
        metrics.bookingOutcome.inc({ outcome: why });
        if (why === "limit_subscription" || why === "limit_job" || why === "limit_folder") metrics.limitExceeded.inc({ table: why.slice("limit_".length) });
      }
      if (won.length > 0) metrics.bookingOutcome.inc({ outcome: "booked" }, won.length);
      // Launches: hosts in parallel, each host's frames in order; after a failed launch the host's
      // other frames of the batch are not tried, their bookings are undone like the failed one's.
      const perHost = new Map<string, typeof ok>();
      for (const x of won) {
        let list = perHost.get(x.d.host.id);
        if (!list) perHost.set(x.d.host.id, (list = []));
        list.push(x);
      }
      launches.push(...[...perHost.values()].map(async (list) => {
        let failed = false;
        for (const { d, p } of list) {
          const version = done.booked.get(p.b.frameId)!;
          if (failed) {
            await undoBooking(d, p.b, version, "an earlier launch on the host failed");
            continue;
          }
          const r = await afterBooked(d, p, version);
          if (r === "booked") {
            booked++;
            keep.add(d.frame.id);
          } else failed = true;
        }
      }));
    }
    await Promise.all(launches);
    return { booked, rest };
  }

  /** Books decisions one by one: hosts in parallel (bounded), each host's decisions in order. */
  async function executeOneByOne(decisions: readonly Decision[], keep: Set<string>): Promise<number> {
    const byHost = new Map<string, Decision[]>();
    for (const d of decisions) {
      let list = byHost.get(d.host.id);
      if (!list) byHost.set(d.host.id, (list = []));
      list.push(d);
    }
    const blocked = { subs: new Set<string>(), jobs: new Set<string>(), folders: new Set<string>() };
    let booked = 0;
    await Promise.all([...byHost.entries()].map(([hostId, list]) => withHostQueue(hostId, async () => {
      let onHost = 0;
      for (const d of list) {
        if (state !== "running") break; // stopping: nothing new starts
        if (blocked.jobs.has(d.layer.jobId) || blocked.folders.has(d.layer.folderId) || blocked.subs.has(`${d.layer.showId}/${d.host.allocId}`)) continue;
        await bookingSlots.acquire();
        let r: "booked" | "next_frame" | "frame_taken" | "stop_host";
        try {
          r = await bookAndLaunch(d, blocked);
        } finally {
          bookingSlots.release();
        }
        if (r === "booked") {
          keep.add(d.frame.id);
          booked++;
          onHost++;
        }
        if (r === "stop_host") break;
      }
      metrics.checkoutOutcome.inc({ outcome: onHost > 0 ? "booked" : "no_progress" });
    })));
    return booked;
  }

  function withHostQueue<T>(hostId: string, work: () => Promise<T>): Promise<T> {
    const prev = hostQueues.get(hostId) ?? Promise.resolve();
    const run = prev.then(work, work);
    const tail = run.then(() => undefined, () => undefined);
    hostQueues.set(hostId, tail);
    void tail.then(() => {
      if (hostQueues.get(hostId) === tail) hostQueues.delete(hostId);
    });
    return run;
  }

  /** The booking row and (unless dry run) the RunFrame of a decision; null for a frame that cannot launch. */
  function prepare(d: Decision): { b: FrameBooking; runFrame: RunFrame | null } | null {
    const procId = randomUUID();
    const b: FrameBooking = {
      procId, frameId: d.frame.id, frameVersion: d.frame.version, layerId: d.layer.id, jobId: d.layer.jobId, showId: d.layer.showId,
      folderId: d.layer.folderId, deptId: d.layer.deptId, hostId: d.host.id, hostName: d.host.name, allocId: d.host.allocId,
      coreUnits: d.coreUnits, memoryKb: d.memoryKb, gpus: d.gpus, gpuMemoryKb: d.gpuMemoryKb,
      memUsedKb: Math.floor(cfg.queue.mem_reserved_min / 1024), updateStat: cfg.host_cache.update_stat_on_book,
    };
    let runFrame: RunFrame | null = null;
    if (!cfg.rqd.dry_run_mode) {
      try {
        runFrame = buildRunFrame({ procId, layer: d.layer, frame: d.frame, coreUnits: d.coreUnits, memoryKb: d.memoryKb, gpus: d.gpus, gpuMemoryKb: d.gpuMemoryKb, hostOs: d.host.os, softLimitFactor: cfg.queue.frame_memory_soft_limit, hardLimitFactor: cfg.queue.frame_memory_hard_limit, coreMultiplier: m, now: wallNow() });
      } catch (e) {
        problem("BAD_FRAME", `frame ${d.layer.jobName}/${d.frame.name} cannot be launched: ${errorMessage(e)}`);
        return null;
      }
    }
    return { b, runFrame };
  }

  async function bookAndLaunch(d: Decision, blocked: { subs: Set<string>; jobs: Set<string>; folders: Set<string> }): Promise<"booked" | "next_frame" | "frame_taken" | "stop_host"> {
    const prepared = prepare(d);
    if (prepared === null) return "next_frame";
    const { b } = prepared;
    attempts++;
    let outcome;
    try {
      outcome = await bookFrame(db, b);
    } catch (e) {
      wasted++;
      metrics.bookingOutcome.inc({ outcome: "db_error" });
      metrics.checkoutOutcome.inc({ outcome: "dispatch_error" });
      log.warn("booking failed", { frame: d.frame.id, host: d.host.name, error: errorMessage(e) });
      return "stop_host";
    }
    metrics.bookingOutcome.inc({ outcome: outcome.kind === "limit" ? `limit_${outcome.table}` : outcome.kind });
    switch (outcome.kind) {
      case "frame_taken":
        wasted++;
        return "frame_taken";
      case "host_locked":
      case "host_exhausted":
        wasted++;
        hostCache.refused(d.host.id);
        return "stop_host";
      case "limit":
        wasted++;
        metrics.limitExceeded.inc({ table: outcome.table });
        if (outcome.table === "subscription") blocked.subs.add(`${d.layer.showId}/${d.host.allocId}`);
        else if (outcome.table === "job") blocked.jobs.add(d.layer.jobId);
        else blocked.folders.add(d.layer.folderId);
        return "stop_host";
      case "booked":
        break;
    }
    hostCache.booked(d.host.id, outcome.host);
    return afterBooked(d, prepared, outcome.frameVersion);
  }

  /** Undoes a booking that was never launched (reference §2.10 compensation). */
  async function undoBooking(d: Decision, b: FrameBooking, frameVersion: number, why: string): Promise<void> {
    hostCache.invalidateHost(d.host.id); // its room comes back
    try {
      const undone = await compensateBooking(db, b, frameVersion);
      log.info("booking undone before launch", { frame: d.frame.id, host: d.host.name, why, ...undone });
    } catch (e) {
      log.error("undoing a booking failed; Cuebot's orphan checks will clean the proc", { frame: d.frame.id, proc: b.procId, error: errorMessage(e) });
    }
  }

  /** Launches a booked frame (compensating a failed launch) and counts it. */
  async function afterBooked(d: Decision, { b, runFrame }: { b: FrameBooking; runFrame: RunFrame | null }, frameVersion: number): Promise<"booked" | "stop_host"> {
    const procId = b.procId;
    if (runFrame !== null) {
      try {
        await launcher.launch(d.host.name, runFrame);
        framesLaunched++;
      } catch (e) {
        launchFailures++;
        const code = e instanceof SchedulerError ? e.code : "RQD_UNREACHABLE";
        metrics.launchFailures.inc({ code });
        hostBackoff.set(d.host.id, performance.now() + cfg.rqd.host_backoff);
        metrics.hostsBackedOff.set(hostBackoff.size);
        problem(code, `launch of ${d.layer.jobName}/${d.frame.name} on ${d.host.name} failed, booking undone, host left alone for ${cfg.rqd.host_backoff} ms: ${errorMessage(e)}`, { host: d.host.name });
        hostCache.invalidateHost(d.host.id); // its room comes back
        try {
          const undone = await compensateBooking(db, b, frameVersion);
          log.info("launch failure compensated", { frame: d.frame.id, host: d.host.name, ...undone });
        } catch (ce) {
          log.error("compensation failed; Cuebot's orphan checks will clean the proc", { frame: d.frame.id, proc: procId, error: errorMessage(ce) });
        }
        void launcher.kill(d.host.name, d.frame.id, "cue-scheduler: launch failed, booking undone");
        return "stop_host";
      }
    }
    framesBooked++;
    const t = performance.now();
    firstBookingAt ??= t;
    lastBookingAt = t;
    idleRounds = 0;
    metrics.framesDispatched.inc({ show_name: d.layer.showName });
    if (d.frame.updatedAt) metrics.timeToBook.observe(Math.max(0, (wallNow() - d.frame.updatedAt.getTime()) / 1000));
    if (d.score !== undefined) metrics.placementScore.observe(d.score);
    log.debug("frame booked", { frame: d.frame.id, host: d.host.name, cores: d.coreUnits / m, dryRun: cfg.rqd.dry_run_mode });
    return "booked";
  }

  async function worker(): Promise<void> {
    let pending: Promise<void> = Promise.resolve();
    while (state === "running") {
      const runnable = runnableClusters();
      metrics.clustersSleeping.set([...sleepingUntil.values()].filter((t) => t > performance.now()).length);
      if (runnable.length === 0) {
        noteIdle();
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, 100);
          const prevWake = wake;
          wake = done;
          function done() {
            clearTimeout(t);
            abort.signal.removeEventListener("abort", done);
            if (wake === done) wake = prevWake;
            resolve();
          }
          abort.signal.addEventListener("abort", done, { once: true });
        });
        continue;
      }
      const c = runnable[rrIndex++ % runnable.length]!;
      inPass.add(c.key);
      const last = lastPassAt.get(c.key);
      const started = performance.now();
      if (last !== undefined) metrics.clusterRoundTrip.observe({ cluster_type: c.type }, (started - last) / 1000);
      lastPassAt.set(c.key, started);
      let r: Awaited<ReturnType<typeof runPass>> | null = null;
      try {
        r = await runPass(c);
      } catch (e) {
        passFailed(c, e);
      }
      // A worker books one pass while it reads and plans the next (its cluster stays in its pass until
      // booked): before a second booking of its own, the first is done.
      await pending;
      if (r === null) continue;
      if ("booking" in r) pending = r.booking.then((x) => passDone(c, x), (e: unknown) => passFailed(c, e));
      else passDone(c, r);
    }
    await pending;
  }

  function passDone(c: Cluster, r: PassResult): void {
    passes++;
    inPass.delete(c.key);
    metrics.passTerminated.inc({ reason: r.reason });
    metrics.framesPerPass.observe({ cluster_type: c.type }, r.booked);
    if (r.reason === "no_jobs" || r.reason === "query_error") putToSleep(c, cfg.queue.cluster_empty_sleep);
    else if (r.reason === "saturated") putToSleep(c, cfg.queue.cluster_saturated_sleep);
    if (r.booked === 0) noteIdle();
  }

  function passFailed(c: Cluster, e: unknown): void {
    inPass.delete(c.key);
    log.error("cluster pass failed", { cluster: c.key, error: errorMessage(e) });
    putToSleep(c, cfg.queue.cluster_empty_sleep);
  }

  async function every(ms: number, task: () => Promise<void>): Promise<void> {
    while (!abort.signal.aborted) {
      await sleep(ms, abort.signal);
      if (abort.signal.aborted) break;
      await task();
    }
  }

  const loops: Promise<void>[] = [];

  async function start(): Promise<void> {
    if (state !== "created") throw new Error(`cannot start a scheduler service that is ${state}`);
    state = "starting";
    log.info("cue-scheduler starting", { instance: instanceId, dryRun: cfg.rqd.dry_run_mode, strategy, facility: cfg.scheduler.facility, shows: cfg.scheduler.shows });
    // The database may be down at start: keep trying, never exit for it.
    for (;;) {
      try {
        await ensureCoordinationTables(db);
        dbOk();
        break;
      } catch (e) {
        dbFailed(e, "preparing the coordination tables");
        await sleep(Math.min(5000, cfg.instance.heartbeat_interval), abort.signal);
        if (abort.signal.aborted) return;
      }
    }
    await reloadClusters();
    await heartbeat();
    await scanActive();
    state = "running";
    runningSince = performance.now();
    log.info("cue-scheduler running", { instance: instanceId, clusters: universe.length, owned: leases.ownedCount(), liveInstances });
    loops.push(every(cfg.instance.heartbeat_interval, heartbeat));
    loops.push(every(cfg.queue.cluster_reload_interval, reloadClusters));
    loops.push(every(cfg.queue.active_scan_interval, scanActive));
    loops.push(every(cfg.accounting.recompute_interval, recompute));
    // Also retry a failed scope quickly (bad facility fixed, database back).
    loops.push(every(Math.max(1000, cfg.instance.heartbeat_interval), async () => {
      if (scope === null || universe.length === 0) await reloadClusters();
    }));
    for (let i = 0; i < cfg.queue.stream.cluster_buffer_size; i++) loops.push(worker());
  }

  let stopping: Promise<void> | null = null;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      if (state === "created" || state === "stopped") {
        state = "stopped";
        resolveStopped();
        return;
      }
      log.info("cue-scheduler stopping: finishing bookings in flight", { instance: instanceId });
      state = "stopping";
      abort.abort();
      await Promise.allSettled(loops);
      await Promise.allSettled([...hostQueues.values()]);
      try {
        await leases.release();
      } catch (e) {
        log.warn("could not release leases (they expire by themselves)", { error: errorMessage(e) });
      }
      launcher.close();
      state = "stopped";
      const q = bookingQueue.stats;
      log.info("cue-scheduler stopped", {
        instance: instanceId, framesBooked, launchFailures,
        bookingStatements: { statements: q.statements, rounds: q.rounds, busyMs: Math.round(q.busyMs), statementMs: Math.round(q.statementMs) },
      });
      resolveStopped();
    })();
    return stopping;
  }

  return {
    instanceId,
    metrics,
    state: () => state,
    start,
    stop,
    stopped,
    stats: () => ({ framesBooked, framesLaunched, launchFailures, wastedAttempts: wasted, bookingAttempts: attempts, passes, firstBookingAt, lastBookingAt, clustersOwned: leases.ownedCount(), clustersTotal: universe.length, liveInstances }),
    health: () => ({
      healthy: (state === "running" || state === "starting") && dbUp,
      details: { state, instance: instanceId, database: dbUp ? "up" : "down", clusters: universe.length, owned: leases.ownedCount(), liveInstances, framesBooked, problems: Object.fromEntries(problemsNow) },
    }),
  };
}

function countByType(clusters: readonly Cluster[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of clusters) out[c.type] = (out[c.type] ?? 0) + 1;
  return out;
}
