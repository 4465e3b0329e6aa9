import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createFrameRunner, FrameLaunchError } from "./frame-runner.js";
import { dirs, isRoot, removeTestDirs } from "./test-support/harness.js";
import { makeSpec } from "./test-support/spec.js";

afterAll(removeTestDirs);

const NOBODY = 65534;
const run = promisify(execFile);

// This machine runs the tests as root, which is what these need (switching users); elsewhere they fail loudly.
describe("who the frame runs as (the agent is root)", () => {
  test("the agent is root for these tests", () => {
    expect(isRoot).toBe(true);
  });

  test("as root, the frame runs as its user's uid/gid, owns its log and its temp dir, which is removed at the end", async () => {
    const d = dirs();
    const runner = createFrameRunner({ hostName: "h", stateDir: d.stateDir, monitorIntervalMs: 100, tailIntervalMs: 50 });
    const tempDir = join(d.base, "tmp", "frame");
    const frame = await runner.launch(makeSpec(d.logDir, 'echo "uid=$(id -u) gid=$(id -g) home=$HOME pwd=$(pwd) tmp=$TMPDIR"; touch "$TMPDIR/scratch"', { userName: "nobody", uid: NOBODY, gid: NOBODY, frameTempDir: tempDir }));
    expect(frame.stats().pid).toBe(frame.pid);
    expect((await frame.exited).exitStatus).toBe(0);
    const log = readFileSync(frame.logPath, "utf8");
    expect(log).toMatch(new RegExp(`uid=65534 gid=65534 home=/nonexistent pwd=${tempDir} tmp=${tempDir}`));
    expect(log).toContain(`${"uid".padEnd(20)}65534`);
    expect(statSync(frame.logPath).uid).toBe(NOBODY);
    expect(statSync(d.logDir)).toMatchObject({ uid: NOBODY });
    expect(existsSync(tempDir)).toBe(false);
  });

  test("a user that exists keeps its own uid (as RQD), and the header says so", async () => {
    const d = dirs();
    const runner = createFrameRunner({ hostName: "h", stateDir: d.stateDir, monitorIntervalMs: 100, tailIntervalMs: 50 });
    const frame = await runner.launch(makeSpec(d.logDir, "id -u", { userName: "nobody", uid: 4242, gid: NOBODY }));
    await frame.exited;
    const log = readFileSync(frame.logPath, "utf8");
    expect(log).toMatch(/\] 65534\n/);
    expect(log).toContain("user nobody exists here with uid 65534; the frame runs as 65534, not 4242");
  });

  test("uid 0 runs only when allowed", async () => {
    const d = dirs();
    const refused = createFrameRunner({ hostName: "h", stateDir: d.stateDir });
    await expect(refused.launch(makeSpec(d.logDir, "true", { userName: "root", uid: 0 }))).rejects.toThrow(/will not run a frame as root/);
    // A name that resolves to uid 0 is refused too.
    await expect(refused.launch(makeSpec(d.logDir, "true", { userName: "root", uid: 4242 }))).rejects.toThrow(/will not run a frame as root/);
    const allowed = createFrameRunner({ hostName: "h", stateDir: d.stateDir, allowRootFrames: true, monitorIntervalMs: 100, tailIntervalMs: 50 });
    const frame = await allowed.launch(makeSpec(d.logDir, "echo uid=$(id -u)", { userName: "root", uid: 0 }));
    expect((await frame.exited).exitStatus).toBe(0);
    expect(readFileSync(frame.logPath, "utf8")).toContain("uid=0");
  });

  test("an unknown user is a typed error and nothing is created", async () => {
    const d = dirs();
    const runner = createFrameRunner({ hostName: "h", stateDir: d.stateDir });
    const err = await runner.launch(makeSpec(d.logDir, "true", { userName: "no-such-user-here", uid: 4321 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FrameLaunchError);
    expect((err as FrameLaunchError).code).toBe("unknown-user");
    expect(existsSync(d.logDir)).toBe(false);
  });
});

describe("an agent that is not root (a real agent process running as nobody)", () => {
  const script = new URL("./test-support/agent-as-user.mjs", import.meta.url).pathname;
  const agent = async (stateDir: string, spec: object) => {
    mkdirSync(stateDir, { mode: 0o700 });
    chownSync(stateDir, NOBODY, NOBODY);
    const { stdout } = await run(process.execPath, [script, stateDir, JSON.stringify(spec)], { uid: NOBODY, gid: NOBODY, cwd: "/tmp" });
    return JSON.parse(stdout) as { ok: boolean; code?: string; message?: string; log?: string; exit?: { exitStatus: number } };
  };

  test("runs the frame as itself and says so in the log header", async () => {
    const d = dirs();
    mkdirSync(d.logDir);
    chownSync(d.logDir, NOBODY, NOBODY);
    const out = await agent(join(d.base, "state-nobody"), makeSpec(d.logDir, "echo uid=$(id -u)", { userName: "artist", uid: 4242 }));
    expect(out).toMatchObject({ ok: true });
    expect(out.exit!.exitStatus).toBe(0);
    expect(out.log).toContain("the agent is not root, so the frame runs as uid 65534 (the agent's) instead of 4242");
    expect(out.log).toContain("uid=65534");
  });

  test("a log dir it may not write is a typed error (permission), nothing left behind", async () => {
    const d = dirs();
    mkdirSync(d.logDir, { mode: 0o755 }); // root's
    const out = await agent(join(d.base, "state-nobody"), makeSpec(join(d.logDir, "sub"), "true"));
    expect(out).toMatchObject({ ok: false, code: "log-dir" });
    expect(out.message).toMatch(/EACCES|not writable/);
    expect(existsSync(join(d.logDir, "sub"))).toBe(false);
  });
});

