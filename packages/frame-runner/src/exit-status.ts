// How a process end becomes Cuebot's (exit_status, exit_signal) pair.
import { constants } from "node:os";

/** Cuebot treats exit_signal 33 as a memory failure and retries the frame with more memory. */
export const MEMORY_FAILURE_SIGNAL = 33;
/** What the reference reports when a recovered frame's exit status cannot be read: (1, 143) literally. */
export const UNKNOWN_EXIT = { exitStatus: 1, exitSignal: 143 } as const;

export function signalNumber(signal: NodeJS.Signals | string | number | null | undefined): number {
  if (signal === null || signal === undefined || signal === "") return 0;
  if (typeof signal === "number") return signal;
  return (constants.signals as Record<string, number | undefined>)[signal] ?? 0;
}

/**
 * A wait status to (exitStatus, exitSignal): killed by signal N gives (1, N); an exit code above 128 is a
 * shell reporting a child killed by signal code-128, so 137 gives (1, 9); otherwise (code, 0).
 * A frame killed for memory reports signal 33 whatever signal ended it.
 */
export function interpretExit(code: number | null, signal: NodeJS.Signals | string | number | null, memoryKill = false): { exitStatus: number; exitSignal: number } {
  let exitStatus: number;
  let exitSignal = 0;
  const sig = signalNumber(signal);
  if (code === null || sig !== 0) {
    exitStatus = 1;
    exitSignal = sig;
  } else if (code > 128) {
    exitStatus = 1;
    exitSignal = code - 128;
  } else {
    exitStatus = code;
  }
  if (memoryKill) exitSignal = MEMORY_FAILURE_SIGNAL;
  return { exitStatus, exitSignal };
}
