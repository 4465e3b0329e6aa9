#!/usr/bin/env node
// Simulator CLI: node bench/simulate.mjs [--hosts N] [--hours H] [--placement first-fit|scored] [--no-fair-share] [--no-reservations] [--svg out.svg]
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { formatSimulationTable, renderSimulationSvg, simulate } from "../dist/index.js";

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const flag = (name) => args.includes(`--${name}`);
const hosts = Number(opt("hosts", "200"));
const hours = Number(opt("hours", "12"));
const svgPath = opt("svg", "simulation.svg");
const render = (frames, cores, mem, runtime) => ({ frames, cores, memoryGb: mem, tags: ["general"], runtime, threadable: cores > 1 });
const spec = {
  seed: 7,
  allocs: [{ name: "general" }],
  hosts: [{ count: Math.round(hosts * 0.75), cores: 16, memoryGb: 64, alloc: "general" }, { count: Math.round(hosts * 0.25), cores: 32, memoryGb: 128, alloc: "general" }],
  shows: [
    { name: "feature", subscriptions: [{ alloc: "general", size: hosts * 10, burst: hosts * 20 }], jobs: [{ count: 40, meanInterArrivalMs: 600_000, priority: 10, layers: [render(100, 2, 4, { kind: "lognormal", medianMs: 1_200_000, sigma: 0.6 })] }] },
    { name: "episodic", subscriptions: [{ alloc: "general", size: hosts * 6, burst: hosts * 20 }], jobs: [{ count: 60, meanInterArrivalMs: 400_000, priority: 5, layers: [render(80, 1, 2, { kind: "uniform", minMs: 300_000, maxMs: 1_500_000 })] }] },
    { name: "sims", subscriptions: [{ alloc: "general", size: hosts * 4, burst: hosts * 20 }], jobs: [{ count: 10, meanInterArrivalMs: 1_800_000, priority: 1, layers: [render(4, 32, 96, { kind: "fixed", ms: 3_600_000 })] }] },
  ],
};
const result = simulate(spec, {
  durationMs: hours * 3_600_000,
  tickMs: 30_000,
  clock: () => performance.now(),
  plan: { placement: opt("placement", "first-fit"), fairShare: !flag("no-fair-share"), reservations: !flag("no-reservations") },
});
console.log(`simulate: ${hosts} hosts, ${hours} h, placement ${opt("placement", "first-fit")}, fair share ${!flag("no-fair-share")}, reservations ${!flag("no-reservations")}`);
console.log(formatSimulationTable(result));
writeFileSync(svgPath, renderSimulationSvg(result));
console.log(`plot: ${svgPath}`);
