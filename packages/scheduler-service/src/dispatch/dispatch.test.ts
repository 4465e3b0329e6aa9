// RunFrame pieces against the reference's examples: chunk specs and frame numbers. (Core sizing and
// placement are scheduler-core's and tested there.)
import { compactFrameSpec, frameChunk, frameNumber } from "./run-frame.js";

describe("frame specs", () => {
  test("compact chunk specs", () => {
    expect(compactFrameSpec([1, 2, 3, 5, 6, 7])).toBe("1-3,5-7");
    expect(compactFrameSpec([1, 3, 5, 10, 11, 12])).toBe("1-5x2,10-12");
    expect(compactFrameSpec([1, 4])).toBe("1,4");
    expect(compactFrameSpec([7])).toBe("7");
  });
  test("chunks of a layer range", () => {
    expect(frameChunk({ range: "1-10", chunkSize: 4 }, "0005-render")).toEqual({ number: 5, end: 8, spec: "5-8" });
    expect(frameChunk({ range: "1-10", chunkSize: 4 }, "0009-render")).toEqual({ number: 9, end: 10, spec: "9-10" });
    expect(frameChunk({ range: "1-3", chunkSize: 1 }, "0002-l")).toEqual({ number: 2, end: 2, spec: "2" });
  });
  test("bad frames are typed errors", () => {
    expect(() => frameNumber("render")).toThrow(expect.objectContaining({ code: "BAD_FRAME" }));
    expect(() => frameChunk({ range: "1-3", chunkSize: 1 }, "0009-l")).toThrow(/not in the layer's range/);
  });
});
