// The simulator's outputs: a text table and a hand-written SVG plot (utilisation and share over time).
import type { SimulationResult } from "./simulate.js";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mins = (ms: number) => `${(ms / 60_000).toFixed(1)}m`;

export function formatSimulationTable(r: SimulationResult): string {
  const rows = [["show", "entitled", "mean share", "frames done/started/submitted", "mean wait", "p95 wait", "max wait", "starved"]];
  for (const s of r.shows) {
    rows.push([s.name, pct(s.entitlement), pct(s.meanShare), `${s.framesDone}/${s.framesStarted}/${s.framesSubmitted}`, mins(s.meanWaitMs), mins(s.p95WaitMs), mins(s.maxWaitMs), String(s.starvedFrames)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const out = [line(rows[0]!), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)];
  out.push("");
  out.push(`simulated ${mins(r.endMs)}, ${r.planSteps} plan steps, mean utilisation ${pct(r.meanUtilisation)}, ${r.framesDone}/${r.framesSubmitted} frames done`);
  out.push(`${r.decisions} decisions, ${r.reservations} reservation-steps, ${r.backfilled} backfilled` + (r.decisionsPerSecond !== null ? `, ${Math.round(r.decisionsPerSecond)} decisions/s (plan wall ${r.planWallMs!.toFixed(0)} ms)` : ""));
  return out.join("\n");
}

const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** An SVG (800 x 400) with farm utilisation and each show's share of the farm over simulated time. */
export function renderSimulationSvg(r: SimulationResult, title = "cue-scheduler simulation"): string {
  const W = 800, H = 400, L = 60, R = 160, T = 40, B = 50;
  const pw = W - L - R, ph = H - T - B;
  const tMax = Math.max(1, ...r.samples.map((s) => s.timeMs));
  const x = (t: number) => (L + (t / tMax) * pw).toFixed(1);
  const y = (v: number) => (T + ph - Math.min(1, Math.max(0, v)) * ph).toFixed(1);
  const series: { name: string; color: string; values: number[]; dash?: string }[] = [{ name: "utilisation", color: "#000000", values: r.samples.map((s) => s.utilisation) }];
  r.shows.forEach((s, i) => series.push({ name: `${s.name} share`, color: palette[i % palette.length]!, values: r.samples.map((x) => x.share[s.name] ?? 0) }));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${L}" y="24" font-size="15">${esc(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = i / 4;
    parts.push(`<line x1="${L}" y1="${y(v)}" x2="${L + pw}" y2="${y(v)}" stroke="#dddddd"/>`);
    parts.push(`<text x="${L - 8}" y="${y(v)}" text-anchor="end" dominant-baseline="middle">${i * 25}%</text>`);
  }
  // Time ticks on round hours (at most 6 intervals), so the labels read 0h 2h 4h rather than 1.9h 3.7h.
  const stepH = [0.25, 0.5, 1, 2, 3, 4, 6, 12, 24, 48].find((h) => tMax / (h * 3_600_000) <= 6) ?? Math.ceil(tMax / 3_600_000 / 6);
  for (let t = 0; t <= tMax; t += stepH * 3_600_000) {
    parts.push(`<line x1="${x(t)}" y1="${T + ph}" x2="${x(t)}" y2="${T + ph + 4}" stroke="#000000"/>`);
    parts.push(`<text x="${x(t)}" y="${T + ph + 18}" text-anchor="middle">${+(t / 3_600_000).toFixed(2)}h</text>`);
  }
  parts.push(`<line x1="${L}" y1="${T + ph}" x2="${L + pw}" y2="${T + ph}" stroke="#000000"/><line x1="${L}" y1="${T}" x2="${L}" y2="${T + ph}" stroke="#000000"/>`);
  parts.push(`<text x="${L + pw / 2}" y="${H - 12}" text-anchor="middle">simulated time</text>`);
  parts.push(`<text transform="translate(14 ${T + ph / 2}) rotate(-90)" text-anchor="middle">booked cores / farm cores</text>`);
  r.shows.forEach((s, i) => {
    parts.push(`<line x1="${L}" y1="${y(s.entitlement)}" x2="${L + pw}" y2="${y(s.entitlement)}" stroke="${palette[i % palette.length]}" stroke-dasharray="4 4" stroke-width="1"/>`);
  });
  series.forEach((s, i) => {
    const pts = s.values.map((v, k) => `${x(r.samples[k]!.timeMs)},${y(v)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${i === 0 ? 2 : 1.5}" points="${pts}"/>`);
    parts.push(`<line x1="${L + pw + 12}" y1="${T + 10 + i * 18}" x2="${L + pw + 32}" y2="${T + 10 + i * 18}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${L + pw + 38}" y="${T + 10 + i * 18}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  parts.push(`<text x="${L + pw + 12}" y="${T + 10 + series.length * 18}" dominant-baseline="middle" fill="#555555">dashed: entitlement</text>`);
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
