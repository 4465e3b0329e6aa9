import { randomUUID } from "node:crypto";
import { tmpdir, userInfo } from "node:os";
import { create, RunFrameSchema, type RunFrame } from "@opencue-ts/proto";

/** Cuebot counts CPU in hundredths of a core: 100 = one core. */
export const CORE_UNITS_PER_CORE = 100;

export interface LaunchFrameOptions {
  readonly command: string;
  readonly environment?: Readonly<Record<string, string>>;
  /** Send the caller's uid (in oneof uid_optional) so RQD runs the frame as this user. */
  readonly runAsUser?: boolean;
  /** Whole cores; sent as cores x 100. Default 1. */
  readonly cores?: number;
  readonly gpus?: number;
  /** Default the OS temp dir (/tmp). */
  readonly logDir?: string;
  /** Default "test_job". */
  readonly jobName?: string;
  /** Default "test_frame". */
  readonly frameName?: string;
  /** Default "show". */
  readonly show?: string;
  /** Default "shot". */
  readonly shot?: string;
  /** Default the OS user name. */
  readonly user?: string;
  readonly ignoreNimby?: boolean;
  /** Frame id to use instead of a fresh UUID (e.g. to kill it later by a known id). */
  readonly frameId?: string;
}

/** Where the defaults come from; injectable so that tests get stable values. */
export interface RunFrameEnvironment {
  readonly now: () => number;
  readonly uuid: () => string;
  readonly user: () => { readonly username: string; readonly uid: number; readonly gid: number };
  readonly tmpDir: string;
}

export const systemRunFrameEnvironment: RunFrameEnvironment = {
  now: Date.now,
  uuid: randomUUID,
  user: () => {
    try {
      const info = userInfo();
      return { username: info.username, uid: info.uid, gid: info.gid };
    } catch {
      // No passwd entry (e.g. an arbitrary container uid): fall back like OpenCue's tools do.
      return { username: process.env["USER"] ?? "daemon", uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
    }
  },
  tmpDir: tmpdir(),
};

/** A complete RunFrame as Cuebot would send it for a one-off command. */
export function buildRunFrame(options: LaunchFrameOptions, env: RunFrameEnvironment = systemRunFrameEnvironment): RunFrame {
  const user = env.user();
  const cores = options.cores ?? 1;
  return create(RunFrameSchema, {
    resourceId: env.uuid(),
    jobId: env.uuid(),
    jobName: options.jobName ?? "test_job",
    frameId: options.frameId ?? env.uuid(),
    frameName: options.frameName ?? "test_frame",
    layerId: env.uuid(),
    command: options.command,
    userName: options.user ?? user.username,
    logDir: options.logDir ?? env.tmpDir,
    show: options.show ?? "show",
    shot: options.shot ?? "shot",
    frameTempDir: env.tmpDir,
    startTime: BigInt(env.now()),
    uidOptional: options.runAsUser && user.uid >= 0 ? { case: "uid", value: user.uid } : { case: undefined },
    numCores: Math.round(cores * CORE_UNITS_PER_CORE),
    gid: user.gid >= 0 ? user.gid : 0,
    ignoreNimby: options.ignoreNimby ?? false,
    environment: { ...options.environment },
    numGpus: options.gpus ?? 0,
  });
}

/** The log path RQD derives from a RunFrame: <log_dir>/<job_name>.<frame_name>.rqlog. */
export function frameLogPath(frame: RunFrame): string {
  return `${frame.logDir.replace(/\/+$/, "")}/${frame.jobName}.${frame.frameName}.rqlog`;
}
