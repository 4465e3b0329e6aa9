/**
 * Raised by the parsers when a file's contents cannot be understood. It names the file and, when the
 * problem is on one line, the 1-based line number, so an operator can look at the exact place.
 */
export class HostMonitorParseError extends Error {
  override readonly name = "HostMonitorParseError";
  readonly code = "HOST_MONITOR_PARSE" as const;
  readonly file: string;
  readonly line: number | null;
  readonly reason: string;

  constructor(file: string, line: number | null, reason: string) {
    super(`${file}${line === null ? "" : `:${line}`}: ${reason}`);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

export function isHostMonitorParseError(value: unknown): value is HostMonitorParseError {
  return value instanceof HostMonitorParseError;
}
