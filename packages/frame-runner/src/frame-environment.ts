// The environment a frame runs with, as the Rust RQD builds it, plus what users asked for on top
// (HOME, TZ, CUE_HT always, CUE_GPU_MEMORY, CUDA_VISIBLE_DEVICES and CUE_GPU_CORES per frame).
import type { FrameSpec } from "./frame-spec.js";

export const DEFAULT_FRAME_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface FrameEnvironmentOptions {
  /** The agent's own environment, inherited as the Rust RQD does; pass {} for a clean one. */
  inherited: NodeJS.ProcessEnv;
  hostName: string;
  logPath: string;
  /** Home directory of the frame user (looked up by the runner); null leaves HOME as inherited. */
  home: string | null;
  /** Keep the agent's PATH instead of the standard one (runner.use_host_path_env_var). */
  useHostPath: boolean;
  /** Time zone for TZ when the agent has none in its environment. */
  timeZone: string;
}

export function buildFrameEnvironment(spec: FrameSpec, opts: FrameEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.inherited)) if (v !== undefined) env[k] = v;
  Object.assign(env, spec.environment);
  const requested = Number.parseInt(spec.environment.CUE_THREADS ?? "", 10);
  const threads = Math.max(Number.isFinite(requested) && requested > 0 ? requested : Math.max(1, Math.floor(spec.numCores / 100)), spec.reservedCpuIds.length);
  Object.assign(env, {
    PATH: opts.useHostPath && opts.inherited.PATH ? opts.inherited.PATH : DEFAULT_FRAME_PATH,
    TERM: "unknown",
    USER: spec.userName,
    LOGNAME: spec.userName,
    mcp: "1",
    show: spec.show,
    shot: spec.shot,
    jobid: spec.jobName,
    jobhost: opts.hostName,
    frame: spec.frameName,
    zframe: spec.frameName,
    logfile: opts.logPath,
    maxframetime: "0",
    minspace: "200",
    CUE3: "True",
    SP_NOMYCSHRC: "1",
    // The Rust RQD falls back to core units here (200 for two cores); whole cores is what renderers expect.
    CUE_THREADS: String(threads),
    CUE_HT: spec.hyperthreading ? "True" : "False",
    TZ: opts.inherited.TZ ?? spec.environment.TZ ?? opts.timeZone,
  });
  if (opts.home) env.HOME = opts.home;
  // The Python RQD always sets it (free GPU memory); Cuebot sends the frame's reservation when it has one.
  env.CUE_GPU_MEMORY ??= "0";
  if (spec.gpuIds.length > 0) {
    env.CUDA_VISIBLE_DEVICES = spec.gpuIds.join(",");
    env.CUE_GPU_CORES = spec.gpuIds.join(",");
  }
  if (spec.frameTempDir) env.TMPDIR = spec.frameTempDir;
  return env;
}
