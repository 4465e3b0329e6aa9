import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createIdleDetector } from "../idle.js";
import { parseWho } from "../parsers/who.js";
import { fixture } from "../test-support/fixtures.js";
import { createScriptDir } from "../test-support/scripts.js";
import { createDeviceTimesIdleSource, createInterruptsIdleSource, createX11IdleSource, readWhoSessions } from "./idle-sources.js";
import { createLinuxPlatform } from "./linux-platform.js";

const bin = createScriptDir();
const scratch = mkdtempSync(join(tmpdir(), "hm-idle-"));
afterAll(() => {
  bin.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

function manualClock(start: number) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("idle sources", () => {
  test("interrupts: idle time counts from the last change of the input IRQ counters", async () => {
    const proc = join(scratch, "proc");
    mkdirSync(proc, { recursive: true });
    const desktop = fixture("proc/interrupts-desktop.txt");
    writeFileSync(join(proc, "interrupts"), desktop);
    const clock = manualClock(1_000_000);
    const src = createInterruptsIdleSource({ procRoot: proc, clock: clock.now });
    expect(await src.probe()).toBe(true);
    expect(await src.idleSeconds()).toBe(0);
    clock.advance(90_000);
    expect(await src.idleSeconds()).toBe(90);
    writeFileSync(join(proc, "interrupts"), desktop.replace("9120", "9125")); // mouse moved
    clock.advance(5_000);
    expect(await src.idleSeconds()).toBe(0);
    clock.advance(30_000);
    expect(await src.idleSeconds()).toBe(30);
  });

  test("interrupts: a headless VM has no input lines, so the source is off", async () => {
    const proc = join(scratch, "proc-vm");
    mkdirSync(proc, { recursive: true });
    writeFileSync(join(proc, "interrupts"), fixture("proc/interrupts-server.txt"));
    const src = createInterruptsIdleSource({ procRoot: proc });
    expect(await src.probe()).toBe(false);
    expect(await src.idleSeconds()).toBeNull();
  });

  test("device times: newest access of the input nodes", async () => {
    const dev = join(scratch, "input");
    mkdirSync(dev, { recursive: true });
    writeFileSync(join(dev, "event0"), "");
    writeFileSync(join(dev, "event1"), "");
    writeFileSync(join(dev, "mice"), ""); // not an event node
    utimesSync(join(dev, "event0"), 1_000, 1_000);
    utimesSync(join(dev, "event1"), 1_500, 1_400);
    utimesSync(join(dev, "mice"), 1_900, 1_900);
    const src = createDeviceTimesIdleSource({ inputDirs: [dev], clock: () => 1_600_000 });
    expect(await src.probe()).toBe(true);
    expect(await src.idleSeconds()).toBe(100);
    expect(await createDeviceTimesIdleSource({ inputDirs: [join(scratch, "none")] }).probe()).toBe(false);
  });

  test("X11: off without a display; with one, xprintidle's milliseconds", async () => {
    expect(await createX11IdleSource({ display: "", binary: bin.script("xpi-unused", "echo 5") }).probe()).toBe(false);
    const xpi = bin.script("xprintidle", 'test "$DISPLAY" = ":7" && echo 123456');
    const src = createX11IdleSource({ display: ":7", binary: xpi });
    expect(await src.probe()).toBe(true);
    expect(await src.idleSeconds()).toBe(123.456);
    expect(await createX11IdleSource({ display: ":7", binary: join(bin.dir, "missing") }).probe()).toBe(false);
  });

  test("who: sessions from a real command", async () => {
    const who = bin.script("who", `cat ${join(scratch, "who.txt")}`);
    writeFileSync(join(scratch, "who.txt"), fixture("who/desktop.txt"));
    expect((await readWhoSessions(who)).map((s) => s.user)).toEqual(["alice", "alice", "bob", "carol", "dave"]);
    expect(await readWhoSessions(join(bin.dir, "missing-who"))).toEqual([]);
  });
});

describe("createIdleDetector", () => {
  test("headless: no source works, so detection is off", async () => {
    const det = createIdleDetector({ sources: [createX11IdleSource({ display: "" }), createDeviceTimesIdleSource({ inputDirs: [join(scratch, "none")] })] });
    expect(await det.start()).toEqual({ enabled: false, sources: [] });
    expect(await det.sample()).toMatchObject({ enabled: false, idleSeconds: null, userLoggedIn: false });
  });

  test("most recent input over the sources, interactive users, injected clock", async () => {
    const a = { name: "a", probe: async () => true, idleSeconds: async () => 300 };
    const b = { name: "b", probe: async () => true, idleSeconds: async () => 12 };
    const broken = { name: "c", probe: async () => false, idleSeconds: async () => 0 };
    const det = createIdleDetector({ sources: [a, broken, b], readSessions: async () => parseWho(fixture("who/desktop.txt")), clock: () => 42 });
    expect(await det.sample()).toEqual({ enabled: true, sources: ["a", "b"], idleSeconds: 12, interactiveUsers: ["alice", "carol", "dave"], userLoggedIn: true, sampledAt: 42 });
  });

  test("mode off never samples", async () => {
    const det = createIdleDetector({ sources: [{ name: "a", probe: async () => true, idleSeconds: async () => 1 }], mode: "off" });
    expect((await det.sample()).enabled).toBe(false);
  });

  test("Linux platform on a headless server: its default sources find nothing to watch", async () => {
    const proc = join(scratch, "proc-headless");
    mkdirSync(proc, { recursive: true });
    writeFileSync(join(proc, "interrupts"), fixture("proc/interrupts-server.txt"));
    const platform = createLinuxPlatform({ procRoot: proc, x11: { display: "" }, inputDirs: [join(scratch, "none")] });
    const det = createIdleDetector({ sources: platform.idleSources(Date.now) });
    expect((await det.start()).enabled).toBe(false);
  });
});
