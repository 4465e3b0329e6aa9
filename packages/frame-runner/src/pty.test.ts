import { readFileSync } from "node:fs";
import { loadNodePty, PtyUnavailableError } from "./frame-process.js";
import { dirs, runnerFor, removeTestDirs } from "./test-support/harness.js";
import { makeSpec } from "./test-support/spec.js";

afterAll(removeTestDirs);

describe("pseudo-terminal mode (node-pty)", () => {
  test("the frame runs on a terminal; its output reaches the log; its exit status is exact", async () => {
    const d = dirs();
    const runner = runnerFor(d, { terminal: "pty" });
    const frame = await runner.launch(makeSpec(d.logDir, "tty; test -t 1 && echo stdout-is-a-tty; exit 4"));
    const exit = await frame.exited;
    expect(exit).toMatchObject({ exitStatus: 4, exitSignal: 0 });
    const log = readFileSync(frame.logPath, "utf8");
    expect(log).toMatch(/\] \/dev\/pts\/\d+\n/);
    expect(log).toContain("] stdout-is-a-tty\n");
    expect(log).toContain("terminal: pseudo-terminal");
  });

  test("per launch, and killed like any frame", async () => {
    const d = dirs();
    const runner = runnerFor(d, { killGraceMs: 500 });
    const frame = await runner.launch(makeSpec(d.logDir, "sleep 60"), { terminal: "pty" });
    expect((await frame.kill("stop")).exitSignal).toBe(15);
  });

  test("a clear error when node-pty cannot be loaded", async () => {
    await expect(loadNodePty("node-pty-that-is-not-installed")).rejects.toBeInstanceOf(PtyUnavailableError);
    await expect(loadNodePty("node-pty-that-is-not-installed")).rejects.toThrow(/npm install node-pty@1.1.0/);
  });
});
