// Memory sizes as the Rust services' YAML writes them ("2GB", "250MiB"). Both decimal-looking and binary
// suffixes are binary here, as the originals treat them (bytesize: "2GB" of memory means GiB in practice).
const UNITS: Record<string, number> = {
  b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4,
};

/** Parses a size into bytes. A bare number is taken as bytes. Throws on bad input. */
export function parseSize(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new Error(`not a valid size: ${input}`);
    return Math.round(input);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!m) throw new Error(`not a valid size: "${input}" (expected e.g. "512MiB", "2GB", "1048576")`);
  const unit = UNITS[(m[2] || "b").toLowerCase()];
  if (unit === undefined) throw new Error(`unknown size unit "${m[2]}" in "${input}"`);
  return Math.round(Number(m[1]) * unit);
}
