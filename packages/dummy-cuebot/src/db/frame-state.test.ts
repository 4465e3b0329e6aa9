import { determineFrameState, type CompletionFacts } from "./frame-state.js";
import { parseMemoryKb } from "./job-spec.js";

const base: CompletionFacts = {
  frameState: "RUNNING", retries: 0, maxRetries: 3, autoEat: false, layerTimeoutMin: 0, layerTimeoutLluMin: 0,
  exitStatus: 1, exitSignal: 0, runTimeS: 10, lluTimeS: 0, hostNimbyLocked: false, nowS: 1_700_000_000,
};

describe("determineFrameState (Cuebot's FrameCompleteHandler rules)", () => {
  test.each<[string, Partial<CompletionFacts>, string]>([
    ["exit 0 succeeds", { exitStatus: 0 }, "SUCCEEDED"],
    ["a failure with retries left waits", { retries: 2 }, "WAITING"],
    ["a failure out of retries is dead", { retries: 3 }, "DEAD"],
    ["max retries 0: the first failure is dead", { maxRetries: 0 }, "DEAD"],
    ["skip-retry (286) waits even past the count", { exitStatus: 286, retries: 9 }, "WAITING"],
    ["signal 119 waits when the job retries at all", { exitSignal: 119, retries: 9 }, "WAITING"],
    ["signal 119 with max retries 0 is dead", { exitSignal: 119, maxRetries: 0 }, "DEAD"],
    ["failed launch (256) waits while retries remain", { exitStatus: 256, retries: 1 }, "WAITING"],
    ["a NIMBY kill (signal 15 on a locked host) waits past the count", { exitSignal: 15, hostNimbyLocked: true, retries: 5 }, "WAITING"],
    ["auto-eat eats failures", { autoEat: true }, "EATEN"],
    ["a stale log past the LLU timeout is dead", { layerTimeoutLluMin: 5, lluTimeS: 1_700_000_000 - 600 }, "DEAD"],
    ["a run past the layer timeout is dead", { layerTimeoutMin: 1, runTimeS: 61 }, "DEAD"],
    ["a run past 12 h is dead", { runTimeS: 12 * 3600 + 1 }, "DEAD"],
    ["a memory failure (33) is retried past the count", { exitStatus: 33, retries: 3 }, "WAITING"],
    ["a frame set WAITING by hand (retry) stays", { frameState: "WAITING", exitStatus: 0 }, "WAITING"],
    ["a frame set EATEN by hand stays", { frameState: "EATEN" }, "EATEN"],
    ["a DEAD frame becomes DEPEND (EATEN with auto-eat)", { frameState: "DEAD" }, "DEPEND"],
  ])("%s", (_name, facts, expected) => {
    expect(determineFrameState({ ...base, ...facts })).toBe(expected);
  });
});

describe("parseMemoryKb", () => {
  test.each<[number | string, number]>([[262144, 262144], ["256MiB", 262144], ["256M", 262144], ["4GiB", 4_194_304], ["1.5g", 1_572_864], ["512 kb", 512]])("%s", (v, kb) => {
    expect(parseMemoryKb(v, "x")).toBe(kb);
  });
  test.each(["lots", "-1M", "0", 0, 1.5])("rejects %s", (v) => {
    expect(() => parseMemoryKb(v, "layer a")).toThrow(/layer a: memory/);
  });
});
