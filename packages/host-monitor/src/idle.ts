import type { LoginSession } from "./parsers/who.js";
import { interactiveUsers } from "./parsers/who.js";

/** Epoch milliseconds; injected so idle logic is testable without waiting. */
export type Clock = () => number;

/** One way to learn how long ago someone touched the keyboard or mouse. */
export interface IdleSource {
  readonly name: string;
  /** Whether this source can work on this host (display present, devices present...). */
  probe(): Promise<boolean>;
  /** Seconds since the last input this source can see, or null when it cannot tell right now. */
  idleSeconds(): Promise<number | null>;
}

export interface IdleSample {
  /** False on headless hosts (no usable source) and when turned off. */
  enabled: boolean;
  /** Names of the sources in use. */
  sources: string[];
  /** Smallest idle time over the sources (the most recent input anywhere), null when unknown. */
  idleSeconds: number | null;
  /** Users logged in at the machine (display or console), from utmp. */
  interactiveUsers: string[];
  userLoggedIn: boolean;
  /** Epoch ms. */
  sampledAt: number;
}

export interface IdleDetectorOptions {
  sources: readonly IdleSource[];
  /** utmp sessions (e.g. `who`); omit to not report logged-in users. */
  readSessions?: () => Promise<LoginSession[]>;
  clock?: Clock;
  /** "auto": on when a source works (default); "off": never samples input. */
  mode?: "auto" | "off";
}

export interface IdleDetector {
  /** Probes the sources once; later samples use only those that answered. */
  start(): Promise<{ enabled: boolean; sources: string[] }>;
  sample(): Promise<IdleSample>;
}

/**
 * NIMBY input: pluggable sources, off when none works (headless render nodes). The lock/unlock state
 * machine with its thresholds belongs to the agent; this only measures.
 */
export function createIdleDetector(options: IdleDetectorOptions): IdleDetector {
  const clock = options.clock ?? Date.now;
  let active: IdleSource[] | null = null;

  async function start(): Promise<{ enabled: boolean; sources: string[] }> {
    if (options.mode === "off") {
      active = [];
    } else {
      const ok = await Promise.all(options.sources.map((s) => s.probe().catch(() => false)));
      active = options.sources.filter((_, i) => ok[i]);
    }
    return { enabled: active.length > 0, sources: active.map((s) => s.name) };
  }

  return {
    start,
    async sample() {
      if (active === null) await start();
      const sources = active as IdleSource[];
      const values = await Promise.all(sources.map((s) => s.idleSeconds().catch(() => null)));
      const known = values.filter((v): v is number => v !== null);
      const sessions = options.readSessions ? await options.readSessions().catch(() => []) : [];
      const users = interactiveUsers(sessions);
      return {
        enabled: sources.length > 0,
        sources: sources.map((s) => s.name),
        idleSeconds: known.length > 0 ? Math.min(...known) : null,
        interactiveUsers: users,
        userLoggedIn: users.length > 0,
        sampledAt: clock(),
      };
    },
  };
}
