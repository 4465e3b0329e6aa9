import { Writable } from "node:stream";
import { createBoundedWriter } from "./bounded-writer.js";
import { parseCgroupProcs, parseMemoryEvents } from "./frame-cgroup.js";
import { transition } from "./frame-state.js";
import { parsePasswd } from "./frame-user.js";
import { selectFramesToKill, type OomCandidate } from "./oom-policy.js";
import { environHas, parseStatIds } from "./proc-scan.js";

const GB = 1024 * 1024; // KiB
const frame = (frameId: string, maxRssGb: number, limitGb: number, runTimeSeconds: number): OomCandidate => ({
  frameId, rssKb: maxRssGb * GB, maxRssKb: maxRssGb * GB, softMemoryLimitKb: limitGb * GB, runTimeSeconds,
});
const host = (usedPercent: number) => ({ totalKb: 100 * GB, freeKb: (100 - usedPercent) * GB });

describe("host OOM policy (the reference's expectations, margin 96 %)", () => {
  test("below or exactly at the margin nothing is chosen", () => {
    expect(selectFramesToKill(host(50), [frame("a", 60, 10, 10)])).toMatchObject({ usagePercent: 50, triggered: false, victims: [] });
    expect(selectFramesToKill(host(96), [frame("a", 60, 10, 10)])).toMatchObject({ usagePercent: 96, triggered: false, victims: [] });
  });
  test("at 97 % a single aggressor is killed; an empty list chooses nothing", () => {
    expect(selectFramesToKill(host(97), [frame("a", 60, 10, 10)]).victims.map((v) => v.frameId)).toEqual(["a"]);
    expect(selectFramesToKill(host(97), [])).toMatchObject({ triggered: true, victims: [] });
  });
  test("frames under their soft limit (or without one) are never candidates", () => {
    expect(selectFramesToKill(host(99), [frame("under", 5, 10, 10), frame("none", 50, 0, 10)]).victims).toEqual([]);
  });
  test("equal overboard: the larger consumer goes first", () => {
    const d = selectFramesToKill(host(99), [frame("small", 2, 1, 50), frame("large", 20, 10, 50)]);
    expect(d.victims[0]!.frameId).toBe("large");
  });
  test("identical frames: the newest goes first (10 s < 50 s < 100 s)", () => {
    const d = selectFramesToKill(host(99), [frame("old", 30, 10, 100), frame("new", 30, 10, 10), frame("mid", 30, 10, 50)]);
    // 99 % of 100 GB: 8 GB to free, which one 30 GB frame covers.
    expect(d.victims.map((v) => v.frameId)).toEqual(["new"]);
    // Full host: 9 GB to free takes all three 3 GB frames, newest first.
    const all = selectFramesToKill({ totalKb: 100 * GB, freeKb: 0 }, [frame("old", 3, 1, 100), frame("new", 3, 1, 10), frame("mid", 3, 1, 50)]);
    expect(all.victims.map((v) => v.frameId)).toEqual(["new", "mid", "old"]);
  });
  test("A (60 GB, limit 50) beats B (10 GB, limit 1) and C (15 GB, limit 10)", () => {
    const d = selectFramesToKill(host(97), [frame("B", 10, 1, 100), frame("A", 60, 50, 100), frame("C", 15, 10, 100)]);
    expect(d.victims[0]!.frameId).toBe("A");
  });
  test("old 11 GB vs new 9 GB (both limit 5 GB, 1000 s vs 1 s): the new one goes first", () => {
    const d = selectFramesToKill(host(97), [frame("old", 11, 5, 1000), frame("new", 9, 5, 1)]);
    expect(d.victims[0]!.frameId).toBe("new");
  });
  test("enough frames to reach the target, but not all when unnecessary", () => {
    // 99 % of 100 GB: back to 91 % means freeing 8 GB.
    const three = [frame("a", 5, 1, 10), frame("b", 5, 1, 20), frame("c", 5, 1, 30)];
    const d = selectFramesToKill(host(99), three);
    expect(d.toFreeKb).toBe(8 * GB);
    expect(d.victims).toHaveLength(2);
    expect(d.victims.map((v) => v.frameId)).toEqual(["a", "b"]);
  });
  test("all-zero factors give no NaN scores", () => {
    const d = selectFramesToKill(host(99), [frame("a", 0, 0, 0), { frameId: "b", rssKb: 2, maxRssKb: 0, softMemoryLimitKb: 1, runTimeSeconds: 0 }]);
    expect(d.victims.every((v) => Number.isFinite(v.score))).toBe(true);
  });
});

describe("frame state machine", () => {
  test.each([
    ["launching", "spawned", "running"],
    ["launching", "launch-failed", "exited"],
    ["running", "kill-requested", "killing"],
    ["running", "process-exited", "finishing"],
    ["killing", "kill-requested", "killing"],
    ["killing", "process-exited", "finishing"],
    ["finishing", "reported", "exited"],
  ] as const)("%s --%s--> %s", (from, event, to) => {
    expect(transition(from, event)).toBe(to);
  });
  test.each([
    ["launching", "kill-requested"],
    ["running", "reported"],
    ["finishing", "kill-requested"],
    ["finishing", "process-exited"],
    ["exited", "process-exited"],
    ["exited", "kill-requested"],
  ] as const)("%s refuses %s", (from, event) => {
    expect(transition(from, event)).toBeNull();
  });
});

describe("parsers", () => {
  test("memory.events and cgroup.procs", () => {
    expect(parseMemoryEvents("low 0\nhigh 12\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n")).toMatchObject({ high: 12, oom_kill: 1, oom_group_kill: 0 });
    expect(parseCgroupProcs("12\n345\n\n")).toEqual([12, 345]);
  });
  test("/proc/PID/stat ids, with a command name holding spaces and parentheses", () => {
    const stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615";
    expect(parseStatIds(stat)).toEqual({ state: "S", pgrp: 4242, session: 4242, startTicks: 987654 });
    expect(parseStatIds("garbage")).toBeNull();
  });
  test("an exact entry of /proc/PID/environ (first, middle, last, unterminated; no prefix matches; bytes, not latin1)", () => {
    const env = (...e: string[]) => Buffer.from(e.join("\0") + "\0");
    expect(environHas(env("logfile=/l/a.rqlog", "X=1"), "logfile=/l/a.rqlog")).toBe(true);
    expect(environHas(env("X=1", "logfile=/l/a.rqlog", "Y=2"), "logfile=/l/a.rqlog")).toBe(true);
    expect(environHas(Buffer.from("X=1\0logfile=/l/a.rqlog"), "logfile=/l/a.rqlog")).toBe(true);
    expect(environHas(env("logfile=/l/a.rqlog.1"), "logfile=/l/a.rqlog")).toBe(false);
    expect(environHas(env("Xlogfile=/l/a.rqlog"), "logfile=/l/a.rqlog")).toBe(false);
    expect(environHas(Buffer.alloc(0), "logfile=/l/a.rqlog")).toBe(false);
    expect(environHas(env("logfile=/l/été.rqlog"), "logfile=/l/été.rqlog")).toBe(true);
  });
  test("passwd", () => {
    expect(parsePasswd("root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")).toEqual([
      { name: "root", uid: 0, gid: 0, home: "/root" },
      { name: "nobody", uid: 65534, gid: 65534, home: "/nonexistent" },
    ]);
  });
});

describe("bounded output queue (pty mode)", () => {
  test("a slow sink never makes the writer wait: beyond the bound output is dropped, then a note says how much", async () => {
    const received: Buffer[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        received.push(chunk);
        void gate.then(() => cb());
      },
    });
    const w = createBoundedWriter(slow, 1000);
    for (let i = 0; i < 10; i++) w.write(Buffer.alloc(300, 97 + i)); // returns at once every time
    expect(w.dropped).toBeGreaterThan(0);
    release();
    w.write(Buffer.from("tail"));
    await w.end();
    const text = Buffer.concat(received).toString();
    expect(text).toContain(`${w.dropped} bytes of output dropped`);
    expect(text.startsWith("a".repeat(300))).toBe(true);
    expect(text.endsWith("tail")).toBe(true);
  });
});
