/**
 * Clock ticks per second used for the times in /proc (USER_HZ). It is part of the kernel's user ABI and
 * is 100 on every architecture current Linux supports (alpha, the exception, is gone), so it is not
 * probed with `getconf CLK_TCK` at import time. OPENCUE_CLK_TCK overrides it for exotic kernels.
 */
function detectClockTicks(): number {
  const fromEnv = Number(process.env["OPENCUE_CLK_TCK"]);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 100;
}

export const CLOCK_TICKS: number = detectClockTicks();
