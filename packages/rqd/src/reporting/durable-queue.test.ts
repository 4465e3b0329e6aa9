import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@opencue-ts/proto";
import { openDurableQueue, type QueueCodec } from "./durable-queue.js";
import { backoffDelay, isRetryable } from "./retry-policy.js";

const json: QueueCodec<{ frame: string; n: number }> = {
  encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
  decode: (b) => JSON.parse(new TextDecoder().decode(b)),
};

describe("durable queue", () => {
  test("entries survive a restart, in order, until acknowledged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "queue-"));
    const q = await openDurableQueue(dir, json);
    for (let n = 1; n <= 3; n++) await q.enqueue({ frame: `f${n}`, n });
    await q.ack(1);
    const reopened = await openDurableQueue(dir, json);
    expect(reopened.size()).toBe(2);
    expect((await reopened.entries()).map((e) => e.item.frame)).toEqual(["f2", "f3"]);
    const e4 = await reopened.enqueue({ frame: "f4", n: 4 });
    expect(e4.seq).toBe(4);
    expect((await reopened.entries()).map((e) => e.seq)).toEqual([2, 3, 4]);
  });
  test("a torn write is discarded; an unreadable entry is moved aside, not blocking the queue", async () => {
    const dir = mkdtempSync(join(tmpdir(), "queue-"));
    const q = await openDurableQueue(dir, json);
    await q.enqueue({ frame: "a", n: 1 });
    writeFileSync(join(dir, "000000000002.entry"), "{not json");
    writeFileSync(join(dir, "000000000003.entry.tmp"), "half");
    const reopened = await openDurableQueue(dir, json);
    expect(readdirSync(dir).some((f) => f.endsWith(".tmp"))).toBe(false);
    expect((await reopened.entries()).map((e) => e.item.frame)).toEqual(["a"]);
    expect(readdirSync(reopened.rejectedDir)).toContain("000000000002.entry");
    await reopened.reject(1, "INVALID_ARGUMENT: bad report");
    expect(readFileSync(join(reopened.rejectedDir, "000000000001.entry.reason.txt"), "utf8")).toContain("INVALID_ARGUMENT");
    expect(reopened.size()).toBe(0);
  });
});

describe("retry policy", () => {
  test("transient codes retry, permanent ones do not", () => {
    expect(isRetryable(Code.Unavailable)).toBe(true);
    expect(isRetryable(Code.DeadlineExceeded)).toBe(true);
    expect(isRetryable(Code.InvalidArgument)).toBe(false);
    expect(isRetryable(Code.Unimplemented)).toBe(false);
    expect(isRetryable(Code.PermissionDenied)).toBe(false);
  });
  test("exponential backoff with bounded jitter", () => {
    const s = { minMs: 10, maxMs: 60_000, jitterPercent: 10 };
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, s, () => 0))).toEqual([10, 20, 40, 80]);
    expect(backoffDelay(2, s, () => 0.999)).toBeCloseTo(43.996);
    expect(backoffDelay(30, s, () => 1)).toBe(60_000);
  });
});
