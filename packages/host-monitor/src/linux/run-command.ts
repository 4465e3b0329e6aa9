import { execFile } from "node:child_process";

export interface CommandResult {
  /** Exit status 0. */
  ok: boolean;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** "ENOENT" (not installed), "EACCES", "ETIMEDOUT" (killed after timeoutMs), or another errno; null when it ran. */
  error: string | null;
}

export interface RunCommandOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a helper binary with a hard timeout; never throws and never waits longer than the timeout. */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1024 * 1024, encoding: "utf8", env: options.env ?? process.env, windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ ok: true, stdout, stderr, exitCode: 0, error: null });
          return;
        }
        const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: string | number };
        if (typeof e.code === "number") {
          resolve({ ok: false, stdout, stderr, exitCode: e.code, error: null });
        } else if (e.killed || e.signal) {
          resolve({ ok: false, stdout, stderr, exitCode: null, error: "ETIMEDOUT" });
        } else {
          resolve({ ok: false, stdout, stderr, exitCode: null, error: e.code ?? e.message });
        }
      },
    );
  });
}
