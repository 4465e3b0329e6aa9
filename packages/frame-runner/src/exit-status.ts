// How a process end becomes Cuebot's (exit_status, exit_signal) pair.

/** Cuebot treats exit_signal 33 as a memory failure and retries the frame with more memory. */
export const MEMORY_FAILURE_SIGNAL = 33;

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGXCPU: 24, SIGXFSZ: 25 };

export function signalNumber(signal: NodeJS.Signals | string | null): number {
  if (!signal) return 0;
  return SIGNALS[signal] ?? 0;
}

/**
 * A wait status to (exitStatus, exitSignal): killed by signal N gives (1, N); an exit code above 128 is a
 * shell reporting a child killed by signal code-128, so 137 gives (1, 9); otherwise (code, 0).
 * A frame killed for memory reports signal 33 whatever signal ended it.
 */
export function interpretExit(code: number | null, signal: NodeJS.Signals | string | null, memoryKill = false): { exitStatus: number; exitSignal: number } {
  let exitStatus: number;
  let exitSignal = 0;
  if (code === null) {
    exitStatus = 1;
    exitSignal = signalNumber(signal);
  } else if (code > 128) {
    exitStatus = 1;
    exitSignal = code - 128;
  } else {
    exitStatus = code;
  }
  if (memoryKill) exitSignal = MEMORY_FAILURE_SIGNAL;
  return { exitStatus, exitSignal };
}
