import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Clock, IdleSource } from "../idle.js";
import { DEFAULT_INPUT_IRQ_PATTERN, parseInterrupts, sumInputInterrupts } from "../parsers/interrupts.js";
import { parseWho, parseXprintidle, type LoginSession } from "../parsers/who.js";
import { readProcText } from "./proc-fs.js";
import { runCommand } from "./run-command.js";

export interface X11IdleSourceOptions {
  /** Default process.env.DISPLAY; the source is unusable without a display. */
  display?: string;
  /** XAUTHORITY for the display's owner, when RQD runs as another user. */
  xauthority?: string;
  /** Default "xprintidle". */
  binary?: string;
  timeoutMs?: number;
}

/** X11 idle time from the X server (XScreenSaver extension) via `xprintidle`. */
export function createX11IdleSource(options: X11IdleSourceOptions = {}): IdleSource {
  const display = options.display ?? process.env["DISPLAY"];
  const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display ?? "" };
  if (options.xauthority) env["XAUTHORITY"] = options.xauthority;
  const query = async (): Promise<number | null> => {
    const r = await runCommand(options.binary ?? "xprintidle", [], { timeoutMs: options.timeoutMs ?? 2000, env });
    return r.ok ? parseXprintidle(r.stdout) : null;
  };
  return {
    name: "x11",
    probe: async () => Boolean(display) && (await query()) !== null,
    idleSeconds: query,
  };
}

export interface InterruptsIdleSourceOptions {
  procRoot?: string;
  pattern?: RegExp;
  clock?: Clock;
}

/**
 * Input activity from /proc/interrupts: the keyboard/mouse (and USB controller) interrupt counts grow
 * on input, so idle time is the time since the count last changed, at the resolution of the calls.
 * Before the first change it counts from the first call (it cannot see older input).
 */
export function createInterruptsIdleSource(options: InterruptsIdleSourceOptions = {}): IdleSource {
  const file = `${options.procRoot ?? "/proc"}/interrupts`;
  const clock = options.clock ?? Date.now;
  let lastCount: number | null = null;
  let lastChangeAt = 0;
  const read = (): { count: number; matched: number } | null => {
    const text = readProcText(file);
    if (text === null) return null;
    try {
      return sumInputInterrupts(parseInterrupts(text, file), options.pattern ?? DEFAULT_INPUT_IRQ_PATTERN);
    } catch {
      return null;
    }
  };
  return {
    name: "interrupts",
    probe: async () => (read()?.matched ?? 0) > 0,
    async idleSeconds() {
      const now = clock();
      const current = read();
      if (current === null || current.matched === 0) return null;
      if (lastCount === null || current.count !== lastCount) {
        lastChangeAt = now;
        lastCount = current.count;
      }
      return Math.max(0, (now - lastChangeAt) / 1000);
    },
  };
}

export interface DeviceTimesIdleSourceOptions {
  /** Default ["/dev/input"]: their event* nodes. */
  inputDirs?: string[];
  /** Extra device files whose access time moves on input (VT consoles: "/dev/tty1"...). */
  files?: string[];
  clock?: Clock;
}

/**
 * Idle time from device node timestamps: the newest atime/mtime among the input event nodes and the
 * given terminals (the tty layer updates a terminal's atime on input, which is what `who -u` shows).
 * Whether evdev nodes' times move depends on the driver, so this is a fallback after X11.
 */
export function createDeviceTimesIdleSource(options: DeviceTimesIdleSourceOptions = {}): IdleSource {
  const clock = options.clock ?? Date.now;
  const list = async (): Promise<string[]> => {
    const out = [...(options.files ?? [])];
    for (const dir of options.inputDirs ?? ["/dev/input"]) {
      try {
        for (const name of await readdir(dir)) if (name.startsWith("event")) out.push(join(dir, name));
      } catch {
        // no such directory: headless or containerised
      }
    }
    return out;
  };
  const newest = async (): Promise<number | null> => {
    let best: number | null = null;
    for (const path of await list()) {
      try {
        const s = await stat(path);
        const t = Math.max(s.atimeMs, s.mtimeMs);
        if (best === null || t > best) best = t;
      } catch {
        // a device that disappeared (unplugged) is skipped
      }
    }
    return best;
  };
  return {
    name: "device-times",
    probe: async () => (await newest()) !== null,
    async idleSeconds() {
      const t = await newest();
      return t === null ? null : Math.max(0, (clock() - t) / 1000);
    },
  };
}

/** Login sessions from `who` (utmp); [] when who is missing or fails. */
export async function readWhoSessions(binary = "who", timeoutMs = 2000): Promise<LoginSession[]> {
  const r = await runCommand(binary, [], { timeoutMs });
  return r.ok ? parseWho(r.stdout) : [];
}
