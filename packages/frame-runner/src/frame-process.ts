// Starting the frame's session leader: plain pipes-to-a-file (child_process) or a pseudo-terminal
// (node-pty, loaded only when asked for).
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createBoundedWriter } from "./bounded-writer.js";

export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | number | null;
}

export interface FrameProcess {
  pid: number;
  /** Resolves when the process has ended and (pty mode) all its output has been written. */
  ended: Promise<ProcessEnd>;
  /** Lets a gated wrapper go on (pipe mode with a cgroup: writes "go" to its stdin). */
  release?: () => void;
}

export interface SpawnOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Set to switch user (the agent is root). */
  identity: { uid: number; gid: number } | null;
}

/** stdout and stderr go straight to `outFd` (a file), fd 3 to `exitFd`: the frame never waits on the agent. */
export async function spawnPiped(o: SpawnOptions & { outFd: number; exitFd: number; gated: boolean }): Promise<FrameProcess> {
  const child = spawn(o.argv[0]!, o.argv.slice(1), {
    cwd: o.cwd, env: o.env, detached: true, stdio: [o.gated ? "pipe" : "ignore", o.outFd, o.outFd, o.exitFd],
    ...(o.identity ?? {}),
  });
  // Listen for the end before anything else is awaited: an ultrafast frame may be gone already (#2157).
  const ended = new Promise<ProcessEnd>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const pid = await new Promise<number>((resolve, reject) => {
    child.once("spawn", () => resolve(child.pid!));
    child.once("error", reject);
  });
  // An EPIPE here means the wrapper is gone already; its end is reported through `ended`.
  child.stdin?.on("error", () => undefined);
  return { pid, ended, release: () => child.stdin?.end("go\n") };
}

/** The slice of node-pty's API the runner uses. */
interface PtyModule {
  spawn(file: string, args: string[], options: { name?: string; cols?: number; rows?: number; cwd?: string; env?: Record<string, string>; uid?: number; gid?: number; encoding?: string | null }): {
    readonly pid: number;
    onData(listener: (data: Buffer | string) => void): unknown;
    onExit(listener: (e: { exitCode: number; signal?: number }) => void): unknown;
  };
}

export class PtyUnavailableError extends Error {
  constructor(cause: string) {
    super(`pty mode needs the optional dependency node-pty (1.1.0); install it with "npm install node-pty@1.1.0" (${cause})`);
    this.name = "PtyUnavailableError";
  }
}

let ptyModule: Promise<PtyModule> | null = null;
export function loadNodePty(specifier = "node-pty"): Promise<PtyModule> {
  const load = async () => {
    try {
      const m = (await import(specifier)) as { default?: PtyModule } & PtyModule;
      return m.default ?? m;
    } catch (e) {
      throw new PtyUnavailableError((e as Error).message);
    }
  };
  if (specifier !== "node-pty") return load();
  ptyModule ??= load().catch((e: unknown) => {
    ptyModule = null;
    throw e;
  });
  return ptyModule;
}

/** The terminal's output is appended to `rawPath` through a bounded queue (see bounded-writer.ts). */
export async function spawnPty(o: SpawnOptions & { rawPath: string; maxQueuedBytes: number; cols?: number; rows?: number }): Promise<FrameProcess> {
  const pty = await loadNodePty();
  const out = createBoundedWriter(createWriteStream(o.rawPath, { flags: "a", mode: 0o600 }), o.maxQueuedBytes);
  const term = pty.spawn(o.argv[0]!, o.argv.slice(1), {
    name: o.env.TERM, cols: o.cols ?? 200, rows: o.rows ?? 50, cwd: o.cwd, env: o.env, encoding: null, ...(o.identity ?? {}),
  });
  term.onData((d) => out.write(typeof d === "string" ? Buffer.from(d) : d));
  // node-pty emits exit only after the terminal's output is fully read.
  const ended = new Promise<ProcessEnd>((resolve) =>
    term.onExit(({ exitCode, signal }) => void out.end().then(() => resolve(signal ? { code: null, signal } : { code: exitCode, signal: null }))),
  );
  return { pid: term.pid, ended };
}
