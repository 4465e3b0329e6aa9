// openrqd's configuration: the Rust RQD's YAML keys and defaults (so an existing rqd.yaml works
// unchanged), plus our own additions, each marked "(openrqd)". Unknown keys are ignored with a warning.
import { homedir } from "node:os";
import { join } from "node:path";
import { field, section, loadConfig, type Infer, type LoadedConfig } from "@opencue-ts/service-kit";

export const rqdConfigSchema = {
  logging: section("Agent logs", {
    level: field.string("info", "debug, info, warning or error"),
    path: field.string("/opt/rqd/logs/rqd.log", "log file used when file_appender is true (rolled at 1 MiB, 7 kept)"),
    file_appender: field.bool(false, "log to logging.path instead of stdout"),
    format: field.string("auto", "(openrqd) json, text, or auto: text on a terminal, JSON otherwise", { choices: ["auto", "json", "text"] }),
  }),
  grpc: section("gRPC server and the connection to Cuebot", {
    rqd_port: field.int(8444, "port of the rqd.RqdInterface and rqd.RunningFrame services (0: any free port, logged at start)", { min: 0, max: 65535 }),
    rqd_interface: field.optionalString("listen on the first IPv4 address of this network interface (default: all interfaces)"),
    rqd_bind_address: field.optionalString("(openrqd) listen on this address, e.g. 127.0.0.11 (wins over rqd_interface; default 0.0.0.0)"),
    cuebot_endpoints: field.stringList(["localhost:8443"], "Cuebot report endpoints host:port (a list or a comma-separated string); one is picked at random"),
    connection_expires_after: field.duration("1h", "pick a new random endpoint after this long (only with more than one endpoint)"),
    backoff_delay_min: field.duration("10ms", "first retry delay of a report call"),
    backoff_delay_max: field.duration("60s", "longest retry delay of a report call"),
    backoff_jitter_percentage: field.number(10, "random jitter added to each retry delay, in percent of the delay", { min: 0, max: 100 }),
    backoff_retry_attempts: field.int(20, "retries of one report call before it fails", { min: 0 }),
    call_timeout: field.duration("10s", "(openrqd) deadline of one report call attempt"),
  }),
  machine: section("What the host is and how it is watched", {
    monitor_interval: field.duration("5s", "period of host reports and frame monitoring"),
    frame_complete_delivery_interval: field.duration("5s", "retry period of undelivered completion reports"),
    frame_complete_send_timeout: field.duration("30s", "bound on one completion report send, retries included"),
    use_ip_as_hostname: field.bool(false, "report the host's IP address as its name"),
    override_real_values: field.optionalSection({
      cores: field.optionalInt("physical cores per socket to report", { min: 1 }),
      procs: field.optionalInt("sockets to report", { min: 1 }),
      memory_size: field.optionalSize("total memory to report, e.g. 64GB"),
      workstation_mode: field.bool(false, "tag the host as a desktop"),
      hostname: field.optionalString("host name to report"),
      os: field.optionalString("SP_OS attribute to report"),
    }, "report these values instead of the real ones"),
    custom_tags: field.stringList([], "tags appended to the host's tags"),
    nimby_mode: field.bool(false, "lock the host while someone uses it (NIMBY)"),
    nimby_lock_by_default: field.bool(false, "start NIMBY-locked"),
    nimby_idle_threshold: field.duration("900s", "user idle time after which a NIMBY-locked host unlocks"),
    nimby_display_file_path: field.optionalString("file holding the DISPLAY to watch"),
    nimby_start_retry_interval: field.duration("300s", "retry period when the display cannot be opened"),
    nimby_display_xauthority_path: field.string("/home/{username}/Xauthority", "Xauthority file for the display"),
    nimby_activity_file: field.optionalString("(openrqd) also count a change of this file's modification time as user input (for kiosks and tests: touch it)"),
    nimby_kill_frames: field.bool(false, "(openrqd) kill running frames when the host becomes NIMBY-locked (otherwise they finish)"),
    facility: field.string("cloud", "facility reported to Cuebot"),
    cpuinfo_path: field.string("/proc/cpuinfo", "where to read the CPU topology"),
    distro_release_path: field.string("/etc/os-release", "where to read the OS name (SP_OS)"),
    proc_stat_path: field.string("/proc/stat", "where to read the boot time"),
    proc_loadavg_path: field.string("/proc/loadavg", "where to read the load average"),
    temp_path: field.string("/tmp", "directory whose free space is reported as mcp"),
    core_multiplier: field.int(100, "core units per physical core", { min: 1 }),
    worker_threads: field.int(4, "accepted for compatibility; Node.js has one event loop", { min: 1 }),
    memory_oom_margin_percentage: field.int(96, "host memory use, in percent, at which the OOM policy kills a frame", { min: 1, max: 100 }),
  }),
  runner: section("How frames run", {
    run_on_docker: field.bool(false, "accepted for compatibility; containerized frames are not supported and this must stay false"),
    default_uid: field.int(1000, "uid of frames whose RunFrame has none", { min: 0 }),
    default_gid: field.int(20, "gid of frames whose RunFrame has gid <= 0", { min: 0 }),
    prepend_timestamp: field.bool(true, "prefix each log line with [HH:MM:SS]"),
    use_host_path_env_var: field.bool(false, "pass the agent's PATH to frames"),
    desktop_mode: field.bool(false, "run frames under nice"),
    run_as_user: field.bool(false, "run frames as their user (needs root or CAP_SETUID/CAP_SETGID)"),
    allow_root_frames: field.bool(false, "(openrqd) allow frames with uid 0"),
    temp_path: field.string("/tmp", "frame temp dirs and scratch files"),
    shell_path: field.string("/bin/bash", "shell that runs frame commands"),
    snapshots_path: field.string("~/.rqd/snapshots", "running-frame records for recovery after an agent restart (~ is the agent user's home)"),
    completions_path: field.optionalString("(openrqd) durable completion-report queue (default: <snapshots_path>/../completions)"),
    state_dir: field.optionalString("(openrqd) one directory for the agent's state: frame records in <state_dir>/frames, the completion queue in <state_dir>/completions (wins over snapshots_path and completions_path)"),
    kill_monitor_interval: field.duration("120s", "how often a killed frame is checked for survivors"),
    kill_monitor_timeout: field.duration("1200s", "give up on a frame that will not die after this long"),
    force_kill_after_timeout: field.bool(false, "SIGKILL a frame that survived kill_monitor_timeout"),
    kill_grace_period: field.duration("10s", "(openrqd) SIGTERM to SIGKILL delay when killing a frame"),
    use_cgroups: field.string("auto", "(openrqd) per-frame cgroup v2 memory limits: auto, on or off", { choices: ["auto", "on", "off"] }),
    docker_mounts: field.list({ target: field.string("", "mount target"), source: field.string("", "mount source"), typ: field.string("bind", "mount type"), bind_propagation: field.string("", "propagation") }, "accepted for compatibility (containerized frames)"),
    docker_default_image: field.string("ubuntu:latest", "accepted for compatibility (containerized frames)"),
    docker_images: field.stringMap("accepted for compatibility (containerized frames)"),
    log_scan_last_lines: field.int(50, "log lines scanned by log_exit_status_rules", { min: 0 }),
    log_exit_status_rules: field.list({
      name: field.string("", "rule name"),
      regex: field.string("", "regex matched against the last log lines", { nonEmpty: true }),
      exit_status: field.int(1, "exit status reported when the regex matches"),
    }, "rules that override a frame's exit status from its log"),
    log_exit_status_rules_reload_interval: field.duration("300s", "re-read the rules from the file this often (0 disables)"),
  }),
  metrics: section("(openrqd) Prometheus metrics and health", {
    enabled: field.bool(true, "serve /metrics and /healthz"),
    port: field.int(9445, "port of /metrics and /healthz (0: any free port, logged at start)", { min: 0, max: 65535 }),
    host: field.string("0.0.0.0", "address of /metrics and /healthz"),
  }),
  lifecycle: section("(openrqd) Start and stop", {
    drain_on_signal: field.string("wait", "on SIGTERM/SIGINT: wait for running frames, kill them, or leave them running for the next agent to re-adopt", { choices: ["wait", "kill", "detach"] }),
    drain_timeout: field.duration("0s", "with drain_on_signal wait: kill what still runs after this long (0 = wait forever)"),
    reboot_command: field.stringList(["/sbin/reboot"], "command (argv) run by RebootNow/RebootIdle"),
    restart_exit_code: field.int(75, "exit status of RestartRqdNow/RestartRqdIdle: the service manager restarts the agent (the systemd unit has RestartForceExitStatus=75)", { min: 1, max: 255 }),
  }),
};

export type RqdConfig = Infer<typeof rqdConfigSchema>;

export interface LoadRqdConfigOptions {
  configPath?: string;
  overrides?: Record<string, string | number | boolean>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  noSearch?: boolean;
}

/** OPENCUE_RQD_CONFIG, then the usual places (rqd.yaml, .rqdrc …), then ~/.local/share/rqd.yaml and /etc/opencue/rqd.yaml. */
export function loadRqdConfig(opts: LoadRqdConfigOptions = {}): Promise<LoadedConfig<typeof rqdConfigSchema>> {
  return loadConfig({
    schema: rqdConfigSchema,
    moduleName: "rqd",
    fileEnvVar: "OPENCUE_RQD_CONFIG",
    envPrefix: "OPENRQD",
    defaultPaths: ["~/.local/share/rqd.yaml", "/etc/opencue/rqd.yaml"],
    ...opts,
  });
}

/** Expands a leading "~/" to the agent user's home directory, as the Rust RQD does for its default paths. */
export function expandHome(path: string): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  const home = process.env.HOME ?? process.env.USERPROFILE ?? homedir();
  return join(home, path.slice(2));
}

export const RQD_SAMPLE_HEADER = `openrqd configuration: every key with its default.
Keys and defaults are the Rust RQD's, so an existing rqd.yaml works unchanged; keys marked (openrqd) are ours.
openrqd reads the file named by OPENCUE_RQD_CONFIG, else rqd.yaml / .rqdrc.yaml found upwards from the
working directory, else ~/.local/share/rqd.yaml, else /etc/opencue/rqd.yaml.
Any key can be overridden by the environment: OPENRQD_GRPC__RQD_PORT=4778 sets grpc.rqd_port.
Durations: "5s", "2m", "1h 30m", "250ms". Sizes: "512MiB", "64GB".
Check a file with: openrqd --validate-config --config FILE`;
