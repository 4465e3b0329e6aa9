// Cuebot's frame range syntax, as a pure parser. A frame set is a comma-separated list of ranges:
//   "7"          one frame
//   "1-10"       inclusive range; "10-1" runs backwards
//   "1-100x2"    every 2nd frame (1, 3, ..., 99); "10-1x-2" steps backwards
//   "1-10y3"     inverted step: the frames "x3" would skip (2, 3, 5, 6, 8, 9)
//   "1-10:5"     interleave: x5, then x2, then x1, each frame once (1, 6, 3, 5, 7, 9, 2, 4, 8, 10)
// Sections concatenate in order (duplicates kept, as Cuebot's FrameSet does; chunking removes them).

/** Refuse absurd ranges before allocating them ("1-1000000000"). */
export const MAX_FRAMES = 5_000_000;

export class FrameRangeError extends Error {
  override readonly name = "FrameRangeError";
}

const SINGLE = /^(-?\d+)$/;
const SIMPLE = /^(-?\d+)-(-?\d+)$/;
const STEPPED = /^(-?\d+)-(-?\d+)([xy])(-?\d+)$/;
const INTERLEAVED = /^(-?\d+)-(-?\d+):(-?\d+)$/;

function int(text: string, spec: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new FrameRangeError(`frame number out of range in "${spec}"`);
  return n;
}

function span(start: number, end: number, spec: string): void {
  if (Math.abs(end - start) + 1 > MAX_FRAMES) throw new FrameRangeError(`frame range "${spec}" has more than ${MAX_FRAMES} frames`);
}

/** start..end (inclusive) every |step| frames counted from start; a negative step runs backwards. */
function intRange(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  if (step > 0) {
    for (let n = start; n <= end; n += step) out.push(n);
  } else {
    for (let n = start; n >= end; n += step) out.push(n);
  }
  return out;
}

function checkStepSign(start: number, end: number, step: number, spec: string): void {
  if (step === 0) throw new FrameRangeError(`step cannot be zero in "${spec}"`);
  if (step > 1 && end < start) throw new FrameRangeError(`end frame may not be less than start frame with a positive step in "${spec}"`);
  if (step < 0 && end >= start) throw new FrameRangeError(`end frame may not be greater than start frame with a negative step in "${spec}"`);
}

/** One range section (no commas). */
export function parseFrameRange(section: string): number[] {
  const spec = section.trim();
  let m: RegExpExecArray | null;
  if ((m = SINGLE.exec(spec))) return [int(m[1]!, spec)];
  if ((m = SIMPLE.exec(spec))) {
    const start = int(m[1]!, spec);
    const end = int(m[2]!, spec);
    span(start, end, spec);
    return intRange(start, end, end >= start ? 1 : -1);
  }
  if ((m = STEPPED.exec(spec))) {
    const start = int(m[1]!, spec);
    const end = int(m[2]!, spec);
    const step = int(m[4]!, spec);
    checkStepSign(start, end, step, spec);
    span(start, end, spec);
    const stepped = intRange(start, end, step);
    if (m[3] === "x") return stepped;
    const skip = new Set(stepped);
    return intRange(start, end, step < 0 ? -1 : 1).filter((n) => !skip.has(n));
  }
  if ((m = INTERLEAVED.exec(spec))) {
    const start = int(m[1]!, spec);
    const end = int(m[2]!, spec);
    let step = int(m[3]!, spec);
    checkStepSign(start, end, step, spec);
    span(start, end, spec);
    const seen = new Set<number>();
    while (step !== 0) {
      for (const n of intRange(start, end, step)) seen.add(n);
      step = Math.trunc(step / 2);
    }
    return [...seen];
  }
  throw new FrameRangeError(`unrecognized frame range syntax "${section}"`);
}

/** A whole frame set: comma-separated ranges, concatenated in order. */
export function parseFrameSet(spec: string): number[] {
  if (spec.trim() === "") throw new FrameRangeError("empty frame range");
  const out: number[] = [];
  for (const section of spec.split(",")) {
    const frames = parseFrameRange(section);
    if (out.length + frames.length > MAX_FRAMES) throw new FrameRangeError(`frame range "${spec}" has more than ${MAX_FRAMES} frames`);
    for (const n of frames) out.push(n);
  }
  return out;
}

/**
 * The frame numbers Cuebot creates frames for: duplicates removed (first occurrence kept), then the
 * first frame of every chunk. A chunk larger than the set yields just the first frame.
 */
export function chunkFrames(frames: readonly number[], chunkSize: number): number[] {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new FrameRangeError(`chunk size must be a positive integer, got ${chunkSize}`);
  const unique = [...new Set(frames)];
  if (chunkSize === 1) return unique;
  if (chunkSize > frames.length) return frames.length > 0 ? [frames[0]!] : [];
  return unique.filter((_, index) => index % chunkSize === 0);
}

/** Cuebot's frame name: the number zero-padded to 4 characters (sign included), "-", the layer name. */
export function frameName(frameNumber: number, layerName: string): string {
  const digits = String(Math.abs(frameNumber));
  const padded = frameNumber < 0 ? `-${digits.padStart(3, "0")}` : digits.padStart(4, "0");
  return `${padded}-${layerName}`;
}
