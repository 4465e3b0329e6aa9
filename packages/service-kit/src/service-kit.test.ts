import { PassThrough } from "node:stream";
import { Registry, Counter } from "prom-client";
import { createLogger, normalizeLevel } from "./logger.js";
import { startHttpEndpoints } from "./http-endpoints.js";

describe("logger", () => {
  const capture = () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on("data", (b: Buffer) => lines.push(...b.toString().split("\n").filter(Boolean)));
    return { stream, lines };
  };
  test("JSON lines carry the service, meta, bigint and nested errors", async () => {
    const { stream, lines } = capture();
    const log = createLogger({ service: "openrqd", format: "json", stream, level: "debug" });
    log.info("frame launched", { frameId: "f1", rss: 12n, err: new Error("boom") });
    log.debug("detail");
    await new Promise((r) => setImmediate(r));
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ level: "info", message: "frame launched", service: "openrqd", frameId: "f1", rss: "12", err: { message: "boom" } });
    expect(first.err.stack).toMatch(/Error: boom/);
    expect(lines).toHaveLength(2);
  });
  test("text format is one readable line", async () => {
    const { stream, lines } = capture();
    createLogger({ service: "x", format: "text", stream }).warn("host locked", { cores: 4 });
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT.* WARN {2}host locked \{"cores":4\}$/);
  });
  test.each([["warning", "warn"], ["debug:sqlx=info", "debug"], ["info,sqlx=warn", "info"], ["bogus", "info"], [undefined, "info"]])("normalizeLevel(%s)", (a, b) => {
    expect(normalizeLevel(a)).toBe(b);
  });
});

describe("http endpoints", () => {
  test("/metrics, /healthz and 404 over a real socket", async () => {
    const registry = new Registry();
    const c = new Counter({ name: "frames_launched_total", help: "frames", registers: [registry] });
    c.inc(3);
    let healthy = true;
    const ep = await startHttpEndpoints({ port: 0, host: "127.0.0.1", registry, health: () => ({ healthy, details: { state: healthy ? "running" : "stopping" } }) });
    try {
      const base = `http://127.0.0.1:${ep.port}`;
      const m = await fetch(`${base}/metrics`);
      expect(m.status).toBe(200);
      expect(await m.text()).toContain("frames_launched_total 3");
      let h = await fetch(`${base}/healthz`);
      expect(h.status).toBe(200);
      expect(await h.json()).toEqual({ status: "ok", state: "running" });
      healthy = false;
      h = await fetch(`${base}/healthz`);
      expect(h.status).toBe(503);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await ep.close();
    }
  });
});
