// Log-based exit-status rules (runner.log_exit_status_rules, the Rust RQD's): when a frame fails on its
// own (not killed by the agent), the last log_scan_last_lines lines of its output are matched against
// the rules in order, and the first match replaces the exit status (e.g. a licence error -> a status
// Cuebot retries later). The footer the runner wrote is not part of the scanned output.
import { open } from "node:fs/promises";

export interface ExitRuleConfig {
  name: string;
  regex: string;
  exit_status: number;
}

export interface ExitRule {
  name: string;
  re: RegExp;
  exitStatus: number;
}

/** Compiles the rules; an invalid regex is skipped and reported through `warn`. */
export function compileExitRules(rules: readonly ExitRuleConfig[], warn: (message: string) => void): ExitRule[] {
  const out: ExitRule[] = [];
  for (const r of rules) {
    try {
      out.push({ name: r.name || r.regex, re: new RegExp(r.regex), exitStatus: r.exit_status });
    } catch (e) {
      warn(`runner.log_exit_status_rules: rule ${JSON.stringify(r.name)} skipped: invalid regex ${JSON.stringify(r.regex)}: ${(e as Error).message}`);
    }
  }
  return out;
}

const FOOTER = "\nRender Frame Completed\n";
const MAX_BYTES = 1 << 20;

/** The last `lines` lines of output in a frame log (footer removed), reading at most 1 MiB from the end. */
export async function readOutputTail(path: string, lines: number): Promise<string | null> {
  const fh = await open(path, "r").catch(() => null);
  if (!fh) return null;
  try {
    const size = (await fh.stat()).size;
    const len = Math.min(size, MAX_BYTES);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    let text = buf.toString("utf8");
    if (len < size) text = text.slice(text.indexOf("\n") + 1); // a partial first line is dropped
    const footer = text.lastIndexOf(FOOTER);
    if (footer >= 0) text = text.slice(0, text.lastIndexOf("\n", footer - 1));
    return text.replace(/\n+$/, "").split("\n").slice(-lines).join("\n");
  } finally {
    await fh.close();
  }
}

/** The first rule matching the tail, or null. */
export function matchExitRule(tail: string, rules: readonly ExitRule[]): ExitRule | null {
  return rules.find((r) => r.re.test(tail)) ?? null;
}
