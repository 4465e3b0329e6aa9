// humantime-style durations as the Rust services' YAML uses them: "5s", "2m", "1h 30m", "250ms".
const UNITS: Record<string, number> = {
  ns: 1e-6, nsec: 1e-6, us: 1e-3, usec: 1e-3, ms: 1, msec: 1, millis: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

/** Parses a duration into milliseconds. A bare number is taken as seconds. Throws on bad input. */
export function parseDuration(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new Error(`not a valid duration: ${input}`);
    return input * 1000;
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const re = /(\d+(?:\.\d+)?)\s*([a-zA-Z]+)/gy;
  let total = 0;
  let matched = 0;
  let pos = 0;
  for (;;) {
    while (pos < text.length && text[pos] === " ") pos++;
    if (pos >= text.length) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`not a valid duration: "${input}" (expected e.g. "5s", "2m", "1h 30m", "250ms")`);
    const unit = UNITS[m[2]!.toLowerCase()];
    if (unit === undefined) throw new Error(`unknown duration unit "${m[2]}" in "${input}"`);
    total += Number(m[1]) * unit;
    matched++;
    pos = re.lastIndex;
  }
  if (matched === 0) throw new Error(`not a valid duration: "${input}"`);
  return total;
}

/** Formats milliseconds the way parseDuration reads them back ("1h30m", "250ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  if (rest > 0) parts.push(`${Math.round(rest * 1000) / 1000}ms`);
  return parts.join("");
}
