// Cuebot's storage units: cores as centicores (cores x 100), memory as KB.

/** Whole (or fractional) cores to Cuebot core units: 1.5 -> 150. */
export function coreUnits(cores: number): number {
  return Math.round(cores * 100);
}

/** GiB to KB (Cuebot's memory unit): 4 -> 4 194 304. */
export function gibToKb(gib: number): number {
  return Math.round(gib * 1024 * 1024);
}

/** MiB to KB. */
export function mibToKb(mib: number): number {
  return Math.round(mib * 1024);
}
