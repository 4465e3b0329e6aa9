/** One login session from `who` (utmp). */
export interface LoginSession {
  user: string;
  line: string;
  /** display: an X/Wayland seat or a terminal inside one; console: a local VT; remote: ssh and the like. */
  kind: "display" | "console" | "remote" | "local";
  host: string | null;
}

/**
 * Parses `who` output ("alice  :0  2024-05-01 09:12 (:0)"). Lines are "user line date time [(host)]";
 * the host in parentheses tells a terminal in an X session (":0") from a remote login ("10.1.2.3").
 */
export function parseWho(text: string): LoginSession[] {
  const out: LoginSession[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const fields = line.split(/\s+/);
    if (fields.length < 2) continue;
    const [user, tty] = fields as [string, string];
    const hostMatch = /\(([^)]*)\)\s*$/.exec(line);
    const host = hostMatch ? (hostMatch[1] as string) : null;
    let kind: LoginSession["kind"];
    if (tty.startsWith(":") || tty.startsWith("seat")) kind = "display";
    else if (/^(tty|console)/.test(tty)) kind = "console";
    else if (host !== null && /^:\d/.test(host)) kind = "display";
    else if (host !== null && host !== "" && !/^tmux|^screen/.test(host)) kind = "remote";
    else kind = "local";
    out.push({ user, line: tty, kind, host });
  }
  return out;
}

/** Users at the machine itself (display or console, or a local terminal), without duplicates. */
export function interactiveUsers(sessions: readonly LoginSession[]): string[] {
  return [...new Set(sessions.filter((s) => s.kind !== "remote").map((s) => s.user))];
}

/** `xprintidle` prints the X server's idle time in milliseconds. Null when the output is not a number. */
export function parseXprintidle(text: string): number | null {
  const v = text.trim();
  return /^\d+$/.test(v) ? Number(v) / 1000 : null;
}
