import { HostMonitorParseError } from "../errors.js";

/** Splits "Key:   value" lines (meminfo, status, smaps_rollup, cpuinfo). Returns null for lines without ":". */
export function splitKeyValue(line: string): [string, string] | null {
  const colon = line.indexOf(":");
  if (colon < 0) return null;
  return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
}

/** Parses "123 kB" / "123" as a non-negative integer number of kB; throws a typed error otherwise. */
export function parseKbValue(value: string, file: string, line: number, key: string): number {
  const match = /^(\d+)(?:\s+kB)?$/i.exec(value);
  if (!match) throw new HostMonitorParseError(file, line, `${key}: expected "<n> kB", got ${JSON.stringify(value)}`);
  return Number(match[1]);
}

export function parseIntStrict(value: string, file: string, line: number | null, what: string): number {
  if (!/^-?\d+$/.test(value)) throw new HostMonitorParseError(file, line, `${what}: expected an integer, got ${JSON.stringify(value)}`);
  return Number(value);
}
