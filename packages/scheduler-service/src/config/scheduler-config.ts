// cue-scheduler's configuration: the Rust scheduler's YAML keys and defaults (an existing scheduler.yaml
// works unchanged), plus our own additions, each marked "(cue-scheduler)".
import { field, section, loadConfig, type Infer, type LoadedConfig, type ConfigProblem } from "@opencue-ts/service-kit";

const epvmWeights = {
  cores: field.number(1, "weight of idle cores in the E-PVM opportunity cost", { min: 0 }),
  mem: field.number(1, "weight of idle memory", { min: 0 }),
  gpus: field.number(2, "weight of idle GPUs", { min: 0 }),
  gpu_mem: field.number(1, "weight of idle GPU memory", { min: 0 }),
  gpu_count_reservation: field.number(2, "penalty for using a GPU host's GPUs-to-spare with a CPU frame", { min: 0 }),
  gpu_mem_reservation: field.number(2, "penalty for using a GPU host's GPU memory with a CPU frame", { min: 0 }),
};

export const schedulerConfigSchema = {
  sentry_dsn: field.optionalString("accepted for compatibility; error reporting goes to the logs"),
  logging: section("Service logs", {
    level: field.string("info", "debug, info, warning or error (the Rust filter syntax such as info,sqlx=warn is accepted)"),
    path: field.string("/opt/rqd/logs/scheduler.log", "log file used when file_appender is true"),
    file_appender: field.bool(false, "log to logging.path instead of stdout"),
    format: field.string("auto", "(cue-scheduler) json, text, or auto: text on a terminal, JSON otherwise", { choices: ["auto", "json", "text"] }),
  }),
  database: section("Cuebot's PostgreSQL database", {
    url: field.optionalString("(cue-scheduler) full connection URL postgres://user:pass@host:port/db; wins over the db_* keys"),
    pool_size: field.int(20, "connections in the pool", { min: 2 }),
    db_host: field.string("localhost", "database host"),
    db_name: field.string("test", "database name"),
    db_user: field.string("postgres", "database user"),
    db_pass: field.string("password", "database password (prefer OPENSCHEDULER_database.db_pass in the environment)"),
    db_port: field.int(5432, "database port", { min: 1, max: 65535 }),
    core_multiplier: field.int(100, "accepted for compatibility (queue.core_multiplier is the one used)", { min: 1 }),
    embedded: field.string("auto", "(cue-scheduler) start an embedded PostgreSQL with our Cuebot schema: auto (when no database is configured), always, or never", { choices: ["auto", "always", "never"] }),
    embedded_data_dir: field.string("~/.cue-scheduler/pgdata", "(cue-scheduler) data directory of the embedded PostgreSQL"),
    embedded_port: field.int(0, "(cue-scheduler) port of the embedded PostgreSQL (0 picks a free one)", { min: 0, max: 65535 }),
  }),
  rqd: section("How frames are launched on hosts", {
    grpc_port: field.int(8444, "RQD gRPC port on every host", { min: 1, max: 65535 }),
    dry_run_mode: field.bool(false, "book in the database but do not call LaunchFrame"),
    launch_timeout: field.duration("10s", "(cue-scheduler) deadline of one LaunchFrame call"),
    host_backoff: field.duration("30s", "(cue-scheduler) how long a host whose launch failed is left alone"),
  }),
  queue: section("The dispatch loop", {
    monitor_interval: field.duration("5s", "accepted for compatibility (unused)"),
    worker_threads: field.int(4, "accepted for compatibility; Node.js has one event loop", { min: 1 }),
    dispatch_frames_per_layer_limit: field.int(20, "frames read per layer per pass", { min: 1 }),
    core_multiplier: field.int(100, "core units per core in the database", { min: 1 }),
    memory_stranded_threshold: field.size("2GiB", "when a booking would leave this little memory, the frame gets all idle cores"),
    job_back_off_duration: field.duration("300s", "accepted for compatibility (unused)"),
    cluster_empty_sleep: field.duration("30s", "sleep of a cluster after a pass that found no jobs"),
    cluster_reload_interval: field.duration("120s", "how often the cluster set is reloaded"),
    active_scan_interval: field.duration("2s", "how often the clusters with waiting frames are found"),
    cluster_saturated_sleep: field.duration("5s", "sleep of a cluster after a pass that booked nothing"),
    stream: section("In-flight work", {
      cluster_buffer_size: field.int(3, "clusters in flight", { min: 1 }),
      job_buffer_size: field.int(3, "accepted for compatibility (unused: a pass reads all its jobs' layers in one query)", { min: 1 }),
    }),
    max_jobs_per_cluster_pass: field.int(20, "jobs read per cluster pass", { min: 1 }),
    manual_tags_chunk_size: field.int(50, "manual (and hardware) tags per cluster", { min: 1 }),
    hostname_tags_chunk_size: field.int(50, "host-name tags per cluster", { min: 1 }),
    host_candidate_attempts_per_layer: field.int(10, "hosts tried per layer before giving up on it", { min: 1 }),
    empty_job_cycles_before_quiting: field.optionalInt("stop after this many empty rounds (tests)", { min: 1 }),
    mem_reserved_min: field.size("250MiB", "smallest memory booked for a frame"),
    selfish_services: field.stringList([], "services whose frames take all idle cores of their host"),
    host_booking_strategy: section("How a host is chosen for a frame", {
      type: field.string("saturation", "saturation (first fit, the Rust default) or epvm (scored placement)", { choices: ["saturation", "epvm"] }),
      core_saturation: field.bool(true, "saturation: prefer the hosts with the fewest idle cores that fit"),
      memory_saturation: field.bool(false, "saturation: prefer the hosts with the least idle memory that fits"),
      max_candidates: field.optionalInt("epvm: hosts scored per frame", { min: 1 }),
      weights: section("epvm: weights of the opportunity cost", epvmWeights),
    }),
    frame_memory_soft_limit: field.number(1.6, "soft memory limit sent to RQD, as a multiple of the layer's minimum memory", { min: 1 }),
    frame_memory_hard_limit: field.number(2.0, "hard memory limit sent to RQD, as a multiple of the layer's minimum memory", { min: 1 }),
    metrics_port: field.int(9090, "port of /metrics and /healthz (0 picks a free one)", { min: 0, max: 65535 }),
    reservations: field.bool(true, "(cue-scheduler) reserve hosts for frames too large to fit now, with EASY backfill"),
    aging_per_hour: field.number(1, "(cue-scheduler) priority points a waiting job gains per hour of waiting (anti-starvation)", { min: 0 }),
    booking_batch_size: field.int(512, "(cue-scheduler) most frames booked together in one statement (whole hosts per batch, the batches of passes ready at once merged; a frame failing a guard is refused alone, the rest book); 1 books one by one", { min: 1, max: 1000 }),
    booking_statements: field.int(2, "(cue-scheduler) booking statements running at once, each on its own connection, the waiting frames split by job and host so that they share no job or host rows; 1 books one statement at a time", { min: 1, max: 8 }),
  }),
  host_cache: section("The in-memory host index", {
    concurrent_groups: field.int(3, "host groups refreshed in parallel", { min: 1 }),
    memory_key_divisor: field.size("2GiB", "memory bucket size of the host index"),
    checkout_timeout: field.duration("12s", "accepted for compatibility (unused)"),
    monitoring_interval: field.duration("10s", "how long a cluster's kept host list is used before it is read again from the database"),
    clean_up_interval: field.duration("5m", "how often stale hosts are dropped"),
    group_idle_timeout: field.duration("10800s", "host groups unused for this long are evicted"),
    concurrent_fetch_permit: field.int(4, "concurrent host-group reads", { min: 1 }),
    host_staleness_threshold: field.duration("2m", "a host with no ping or booking for this long is dropped"),
    update_stat_on_book: field.bool(false, "also lower host_stat free memory when booking"),
  }),
  scheduler: section("Which part of the farm this service schedules", {
    facility: field.optionalString("facility name; only its clusters are scheduled"),
    ignore_tags: field.stringList([], "tags removed from every cluster"),
    alloc_tags: field.stringList([], "(cue-scheduler) only these allocation tags (empty: all)"),
    manual_tags: field.stringList([], "(cue-scheduler) only these manual tags (empty: all)"),
    shows: field.stringList([], "(cue-scheduler) schedule exactly these shows by name, managed or not (empty: every active show with show.b_scheduler_managed)"),
  }),
  accounting: section("Reconciliation of booked resources with the database", {
    recompute_interval: field.duration("15s", "how often booked counters are recomputed from procs"),
    limit_reseed_interval: field.duration("300s", "how often caps are re-read"),
    managed_shows_ttl: field.duration("30s", "how long the set of scheduler-managed shows is cached"),
  }),
  instance: section("(cue-scheduler) Several instances on one database", {
    id: field.optionalString("name of this instance (default: host name and pid)"),
    heartbeat_interval: field.duration("2s", "how often this instance renews its leases"),
    lease_duration: field.duration("10s", "a lease not renewed for this long is taken over by another instance"),
    coordination: field.string("leases", "leases: clusters are shared out among live instances; none: every instance works every cluster (the booking guards alone keep bookings exclusive)", { choices: ["leases", "none"] }),
  }),
};

export type SchedulerConfig = Infer<typeof schedulerConfigSchema>;

/** Cross-key rules the per-key schema cannot express. */
export function checkSchedulerConfig(c: SchedulerConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const s = c.queue.host_booking_strategy;
  if (s.type === "epvm" && s.max_candidates === null) problems.push({ key: "queue.host_booking_strategy.max_candidates", message: "required when type is epvm" });
  if (s.type === "saturation" && s.max_candidates !== null) problems.push({ key: "queue.host_booking_strategy.max_candidates", message: "only valid when type is epvm" });
  if (c.queue.frame_memory_hard_limit < c.queue.frame_memory_soft_limit) problems.push({ key: "queue.frame_memory_hard_limit", message: `must be at least queue.frame_memory_soft_limit (${c.queue.frame_memory_soft_limit})` });
  if (c.instance.lease_duration <= 2 * c.instance.heartbeat_interval) problems.push({ key: "instance.lease_duration", message: "must be more than twice instance.heartbeat_interval, or live instances lose their leases" });
  return problems;
}

export interface LoadSchedulerConfigOptions {
  configPath?: string;
  overrides?: Record<string, string | number | boolean>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  noSearch?: boolean;
}

/** OPENCUE_SCHEDULER_CONFIG, then the usual places (scheduler.yaml …), then ~/.local/share/scheduler.yaml. */
export function loadSchedulerConfig(opts: LoadSchedulerConfigOptions = {}): Promise<LoadedConfig<typeof schedulerConfigSchema>> {
  return loadConfig({
    schema: schedulerConfigSchema,
    moduleName: "scheduler",
    fileEnvVar: "OPENCUE_SCHEDULER_CONFIG",
    envPrefix: "OPENSCHEDULER",
    defaultPaths: ["~/.local/share/scheduler.yaml", "/etc/opencue/scheduler.yaml"],
    ...opts,
  });
}

export const SCHEDULER_SAMPLE_HEADER = `cue-scheduler configuration: every key with its default.
Keys and defaults are the Rust scheduler's, so an existing scheduler.yaml works unchanged; keys marked
(cue-scheduler) are ours. cue-scheduler reads the file named by OPENCUE_SCHEDULER_CONFIG, else
scheduler.yaml / .schedulerrc.yaml found upwards from the working directory, else
~/.local/share/scheduler.yaml, else /etc/opencue/scheduler.yaml.
Any key can be overridden by the environment: OPENSCHEDULER_database.db_pass=secret or
OPENSCHEDULER_DATABASE__DB_PASS=secret sets database.db_pass.
With no database configured (database.embedded: auto), an embedded PostgreSQL with the Cuebot schema is started.
Check a file with: cue-scheduler --validate-config --config FILE`;
