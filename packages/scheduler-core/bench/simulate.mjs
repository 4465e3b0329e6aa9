#!/usr/bin/env node
// Simulator CLI: node bench/simulate.mjs [--preset light|busy] [--hosts N] [--hours H] [--placement first-fit|scored]
//   [--no-fair-share] [--no-reservations] [--svg out.svg]
// light (default): an easy, mostly idle farm; busy: demand above capacity for hours, four shows with
// different subscriptions, whole-host sims that need reservations and short frames that backfill.
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createFarmPreset, formatSimulationTable, renderSimulationSvg, simulate } from "../dist/index.js";

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const flag = (name) => args.includes(`--${name}`);
const preset = opt("preset", "light");
const hosts = Number(opt("hosts", "200"));
const hours = Number(opt("hours", "12"));
const svgPath = opt("svg", "simulation.svg");
const placement = opt("placement", "first-fit");
const fairShare = !flag("no-fair-share");
const reservations = !flag("no-reservations");
const spec = createFarmPreset(preset, { hosts });
const result = simulate(spec, {
  durationMs: hours * 3_600_000,
  tickMs: 30_000,
  clock: () => performance.now(),
  plan: { placement, fairShare, reservations },
});
const title = `${preset} farm, ${hosts} hosts, ${placement}${fairShare ? ", fair share" : ""}${reservations ? ", reservations" : ""}`;
console.log(`simulate: preset ${preset}, ${hosts} hosts, ${hours} h, placement ${placement}, fair share ${fairShare}, reservations ${reservations}`);
console.log(formatSimulationTable(result));
writeFileSync(svgPath, renderSimulationSvg(result, title));
console.log(`plot: ${svgPath}`);
