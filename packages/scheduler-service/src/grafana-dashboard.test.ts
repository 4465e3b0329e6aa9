// docs/grafana/cue-scheduler.json must only query metrics (and labels) this service really exports,
// and every exported metric should be on it: a renamed metric otherwise leaves a silently empty panel.
import { readFileSync } from "node:fs";
import { createSchedulerMetrics } from "./metrics.js";

interface Panel { type: string; title: string; targets?: { expr: string }[]; gridPos: { x: number; y: number; w: number; h: number } }
const dashboard = JSON.parse(readFileSync(new URL("../../../docs/grafana/cue-scheduler.json", import.meta.url), "utf8")) as { panels: Panel[]; uid: string; templating: { list: { name: string }[] } };

const metrics = createSchedulerMetrics();
const registered = new Map<string, { type: string; labels: string[] }>();
for (const m of metrics.registry.getMetricsAsArray()) {
  const labels = (m as unknown as { labelNames?: string[] }).labelNames ?? [];
  registered.set(m.name, { type: String(m.type), labels });
}
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

function baseName(series: string): string | null {
  if (registered.has(series)) return series;
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  return m && registered.get(m[1]!)?.type === "histogram" ? m[1]! : null;
}

test("every queried series is a registered metric, histogram suffixes only on histograms", () => {
  const unknown: string[] = [];
  for (const { panel, expr } of exprs) {
    for (const series of expr.match(/\bscheduler_[a-z_]+/g) ?? []) if (baseName(series) === null) unknown.push(`${panel}: ${series}`);
  }
  expect(unknown).toEqual([]);
});

test("grouping labels exist on the metrics they group", () => {
  const bad: string[] = [];
  for (const { panel, expr } of exprs) {
    for (const m of expr.matchAll(/by \(([^)]*)\) \((?:rate|increase)?\(?(scheduler_[a-z_]+)/g)) {
      const metric = baseName(m[2]!)!;
      const labels = m[1]!.split(",").map((l) => l.trim()).filter((l) => l !== "le" && l !== "instance" && l !== "job");
      for (const l of labels) if (!registered.get(metric)!.labels.includes(l)) bad.push(`${panel}: ${metric} has no label ${l}`);
    }
  }
  expect(bad).toEqual([]);
});

test("every metric the service exports appears on the dashboard", () => {
  const used = new Set(exprs.flatMap(({ expr }) => (expr.match(/\bscheduler_[a-z_]+/g) ?? []).map((s) => baseName(s))));
  expect([...registered.keys()].filter((n) => !used.has(n))).toEqual([]);
});

test("panels do not overlap on the 24-column grid", () => {
  const cells = new Set<string>();
  const overlaps: string[] = [];
  for (const p of dashboard.panels) {
    const g = p.gridPos;
    expect(g.x + g.w).toBeLessThanOrEqual(24);
    for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
      const k = `${x},${y}`;
      if (cells.has(k)) overlaps.push(`${p.title} at ${k}`);
      cells.add(k);
    }
  }
  expect(overlaps).toEqual([]);
  expect(dashboard.templating.list.map((v) => v.name)).toEqual(["datasource", "job", "instance"]);
});
