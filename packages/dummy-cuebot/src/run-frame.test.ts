import { Code } from "@opencue-ts/proto";
import { buildRunFrame, frameLogPath } from "./run-frame.js";
import { grpcCodeName, formatKb } from "./format.js";
import { fixedRunFrameEnv } from "./test-support/capture-io.js";

describe("buildRunFrame", () => {
  test("fills a complete frame with sensible defaults", () => {
    const frame = buildRunFrame({ command: "echo hi" }, fixedRunFrameEnv);
    expect(frame).toMatchObject({
      command: "echo hi",
      jobName: "test_job",
      frameName: "test_frame",
      userName: "artist",
      logDir: "/tmp",
      frameTempDir: "/tmp",
      show: "show",
      shot: "shot",
      numCores: 100,
      numGpus: 0,
      gid: 567,
      ignoreNimby: false,
      startTime: 1_700_000_000_123n,
      environment: {},
      uidOptional: { case: undefined },
    });
    const ids = [frame.resourceId, frame.jobId, frame.frameId, frame.layerId];
    expect(new Set(ids).size).toBe(4);
    ids.forEach((id) => expect(id).toMatch(/^[0-9a-f-]{36}$/));
    expect(frameLogPath(frame)).toBe("/tmp/test_job.test_frame.rqlog");
  });

  test("--run-as-user semantics: the caller's uid goes into oneof uid_optional", () => {
    expect(buildRunFrame({ command: "id", runAsUser: true }, fixedRunFrameEnv).uidOptional).toEqual({ case: "uid", value: 1234 });
  });

  test("cores are whole cores sent in Cuebot's core units", () => {
    expect(buildRunFrame({ command: "x", cores: 3 }, fixedRunFrameEnv).numCores).toBe(300);
  });
});

describe("format helpers", () => {
  test.each([
    [Code.Canceled, "CANCELLED"],
    [Code.InvalidArgument, "INVALID_ARGUMENT"],
    [Code.DeadlineExceeded, "DEADLINE_EXCEEDED"],
    [Code.NotFound, "NOT_FOUND"],
    [Code.Unimplemented, "UNIMPLEMENTED"],
    [Code.Unavailable, "UNAVAILABLE"],
    [Code.DataLoss, "DATA_LOSS"],
  ])("grpcCodeName(%s) is %s", (code, name) => {
    expect(grpcCodeName(code)).toBe(name);
  });

  test("formatKb scales kB", () => {
    expect([formatKb(512n), formatKb(2048n), formatKb(3n * 1024n * 1024n)]).toEqual(["512 KiB", "2.0 MiB", "3.0 GiB"]);
  });
});
