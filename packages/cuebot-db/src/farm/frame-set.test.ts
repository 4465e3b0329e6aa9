import { chunkFrames, frameName, FrameRangeError, parseFrameRange, parseFrameSet } from "./frame-set.js";

describe("parseFrameSet", () => {
  test.each([
    ["7", [7]],
    ["-3", [-3]],
    ["1-5", [1, 2, 3, 4, 5]],
    ["5-1", [5, 4, 3, 2, 1]],
    ["1-10x3", [1, 4, 7, 10]],
    ["1-100x2", Array.from({ length: 50 }, (_, i) => 1 + 2 * i)],
    ["10-1x-3", [10, 7, 4, 1]],
    ["1-10y3", [2, 3, 5, 6, 8, 9]],
    ["1-10:5", [1, 6, 3, 5, 7, 9, 2, 4, 8, 10]],
    ["1-10:2", [1, 3, 5, 7, 9, 2, 4, 6, 8, 10]],
    ["1,3,5", [1, 3, 5]],
    ["1-3,10-12", [1, 2, 3, 10, 11, 12]],
    ["1-3, 2-4", [1, 2, 3, 2, 3, 4]],
    ["-2-2", [-2, -1, 0, 1, 2]],
    ["5-1x1", []],
  ])("%s", (spec, expected) => {
    expect(parseFrameSet(spec)).toEqual(expected);
  });

  test.each([
    ["", /empty/],
    ["a-b", /unrecognized/],
    ["1-10x0", /zero/],
    ["10-1x2", /less than start/],
    ["1-10x-2", /greater than start/],
    ["1-10x2:3", /unrecognized/],
    ["1-99999999", /more than/],
  ])("rejects %j", (spec, message) => {
    expect(() => parseFrameSet(spec)).toThrow(FrameRangeError);
    expect(() => parseFrameSet(spec)).toThrow(message);
  });

  test("parseFrameRange refuses a list", () => {
    expect(() => parseFrameRange("1,2")).toThrow(FrameRangeError);
  });
});

describe("chunkFrames", () => {
  test("keeps the first frame of every chunk", () => {
    expect(chunkFrames(parseFrameSet("1-10"), 3)).toEqual([1, 4, 7, 10]);
    expect(chunkFrames(parseFrameSet("1-100x2"), 10)).toEqual([1, 21, 41, 61, 81]);
  });
  test("removes duplicates before chunking", () => {
    expect(chunkFrames([1, 2, 2, 3], 1)).toEqual([1, 2, 3]);
    expect(chunkFrames([1, 1, 2, 3, 4], 2)).toEqual([1, 3]);
  });
  test("a chunk larger than the set gives its first frame", () => {
    expect(chunkFrames([5, 6, 7], 1000)).toEqual([5]);
  });
  test("rejects a chunk size below 1", () => {
    expect(() => chunkFrames([1], 0)).toThrow(FrameRangeError);
  });
});

describe("frameName", () => {
  test("pads to four characters like Cuebot", () => {
    expect(frameName(1, "render")).toBe("0001-render");
    expect(frameName(12345, "comp")).toBe("12345-comp");
    expect(frameName(-5, "sim")).toBe("-005-sim");
  });
});
