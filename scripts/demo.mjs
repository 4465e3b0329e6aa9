#!/usr/bin/env node
// `npm run demo`: a whole render farm on this machine, real processes on loopback only.
//  1. dummy-cuebot report-server --embedded: an embedded PostgreSQL with our Cuebot schema, and the
//     stand-in Cuebot that applies every RQD report to it as Cuebot does.
//  2. Three openrqd agents, each on its own loopback address (127.0.0.11, .12, .13) and one common
//     free port, reporting that address as its host name, with its own cores, memory and tags.
//  3. dummy-cuebot submit: a demo job whose layers depend on each other (frame by frame, then layer
//     on layer, the last layer only on the host tagged "big").
//  4. cue-scheduler on the same database books the frames onto the agents.
// Live progress bars per job and layer (plain lines when stdout is not a terminal), then a summary
// table; every process is stopped at the end, also on Ctrl-C, and the script checks none is left.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, createWriteStream, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createCuebotDb } from "@opencue-ts/cuebot-db";
import { readJobProgress } from "dummy-cuebot";

const root = new URL("..", import.meta.url).pathname;
const bin = {
  cuebot: join(root, "packages/dummy-cuebot/bin/dummy-cuebot.js"),
  rqd: join(root, "packages/rqd/bin/openrqd.js"),
  scheduler: join(root, "packages/scheduler-service/bin/cue-scheduler.js"),
};
const tty = process.stdout.isTTY === true;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const step = (s) => console.log(`${bold("▶ " + s)}`);
const TIMEOUT_MS = Number(process.env.DEMO_TIMEOUT_MS ?? 240_000);

const AGENTS = [
  { ip: "127.0.0.11", cores: 2, memory: "4GB", tags: ["general"] },
  { ip: "127.0.0.12", cores: 2, memory: "4GB", tags: ["general"] },
  { ip: "127.0.0.13", cores: 4, memory: "8GB", tags: ["big"] },
];

const runDir = mkdtempSync(join(tmpdir(), "opencue-demo-"));
const logDir = join(runDir, "logs");
const frameLogDir = join(runDir, "frame-logs");
mkdirSync(logDir);
mkdirSync(frameLogDir);

/** @type {{name: string, child: import("node:child_process").ChildProcess, exited: Promise<void>}[]} */
const procs = [];
let stopping = false;

function start(name, args) {
  const log = createWriteStream(join(logDir, `${name}.log`));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => {
    log.end();
    if (!stopping) console.error(`\n${name} exited unexpectedly (${signal ?? code}); see ${join(logDir, `${name}.log`)}`);
    resolve();
  }));
  const p = { name, child, exited };
  procs.push(p);
  return p;
}

const alive = (c) => c.exitCode === null && c.signalCode === null;

/** SIGTERM in reverse start order (scheduler, agents, then the Cuebot and its database), SIGKILL after 10 s. */
async function stopAll() {
  stopping = true;
  for (const p of [...procs].reverse()) {
    if (!alive(p.child)) continue;
    p.child.kill("SIGTERM");
    const timer = setTimeout(() => alive(p.child) && p.child.kill("SIGKILL"), 10_000);
    await p.exited;
    clearTimeout(timer);
  }
  const left = procs.filter((p) => { try { process.kill(p.child.pid, 0); return true; } catch { return false; } });
  return left.map((p) => `${p.name} (pid ${p.child.pid})`);
}

let interrupted = false;
const onSignal = (code) => {
  if (interrupted) return;
  interrupted = true;
  console.log("\ninterrupted: stopping every process");
  void stopAll().then((left) => {
    if (left.length > 0) console.error(`still running: ${left.join(", ")}`);
    else console.log("no process left behind");
    process.exit(code);
  });
};
process.on("SIGINT", () => onSignal(130));
process.on("SIGTERM", () => onSignal(143));

const freePortOn = (host, port = 0) => new Promise((resolve, reject) => {
  const s = createServer();
  s.once("error", reject);
  s.listen(port, host, () => { const p = s.address().port; s.close(() => resolve(p)); });
});

/** One port free on every agent address. */
async function commonPort() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePortOn(AGENTS[0].ip);
    try {
      for (const a of AGENTS.slice(1)) await freePortOn(a.ip, port);
      return port;
    } catch { /* taken on another address: try another */ }
  }
  throw new Error("no port free on all agent addresses");
}

async function waitFor(what, check, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (interrupted) throw new Error("interrupted");
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function bar(done, running, total, width = 28) {
  const d = total === 0 ? width : Math.round((done / total) * width);
  const r = total === 0 ? 0 : Math.min(width - d, Math.round((running / total) * width));
  return tty ? `\x1b[32m${"█".repeat(d)}\x1b[33m${"▒".repeat(r)}\x1b[0m${"·".repeat(width - d - r)}` : `${"#".repeat(d)}${"+".repeat(r)}${".".repeat(width - d - r)}`;
}

function progressLines(jobs) {
  const lines = [];
  for (const j of jobs) {
    const done = j.succeeded + j.eaten;
    lines.push(`${bold(j.name.padEnd(24))} ${bar(done, j.running, j.total)} ${String(done).padStart(3)}/${j.total} ${j.state}${j.dead ? `, ${j.dead} dead` : ""}`);
    for (const l of j.layers) {
      const ld = l.succeeded + l.eaten;
      lines.push(`  ${l.name.padEnd(22)} ${bar(ld, l.running, l.total)} ${String(ld).padStart(3)}/${l.total} ${dim(`running ${l.running}, waiting ${l.waiting}, depend ${l.depend}${l.dead ? `, dead ${l.dead}` : ""}`)}`);
    }
  }
  return lines;
}

function table(header, rows) {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join("  ").trimEnd();
  return [line(header), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n");
}

let db;
let exitCode = 0;
const t0 = Date.now();
try {
  console.log(`${bold("opencue-ts local farm demo")}  ${dim(`(run directory ${runDir})`)}\n`);

  step("dummy-cuebot report-server --embedded: PostgreSQL with our Cuebot schema + the report handling");
  const cuebot = start("dummy-cuebot", [bin.cuebot, "report-server", "--embedded", "--host", "127.0.0.1", "--port", "0", "--json", "--sweep-interval", "2", "--host-down-after", "30", "--orphan-after", "60"]);
  const listening = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: cuebot.child.stdout });
    lines.once("line", (l) => { try { resolve(JSON.parse(l)); } catch (e) { reject(e); } });
    cuebot.exited.then(() => reject(new Error(`dummy-cuebot exited; see ${join(logDir, "dummy-cuebot.log")}`)));
  });
  const databaseUrl = listening.database;
  console.log(`  reports on 127.0.0.1:${listening.port}, database ${databaseUrl.replace(/:[^:@/]+@/, ":***@")}`);
  db = createCuebotDb(databaseUrl);

  const rqdPort = await commonPort();
  step(`${AGENTS.length} openrqd agents on ${AGENTS.map((a) => a.ip).join(", ")}, port ${rqdPort}`);
  for (const [i, a] of AGENTS.entries()) {
    start(`openrqd-${i + 1}`, [bin.rqd, "--bind", a.ip, "--port", String(rqdPort), "--hostname", a.ip, "--cores", String(a.cores), "--memory", a.memory,
      "--tags", a.tags.join(","), "--state-dir", join(runDir, `rqd-${i + 1}`), "--no-metrics", "--cuebot", `127.0.0.1:${listening.port}`, "--facility", "local",
      "--set", "machine.monitor_interval=1s", "--set", "machine.frame_complete_delivery_interval=1s"]);
    console.log(`  ${a.ip}: ${a.cores} cores, ${a.memory}, tags ${a.tags.join(",")}`);
  }
  const hosts = await waitFor("the agents to register", async () => {
    const rows = await db.selectFrom("host").select("str_name").execute();
    return rows.length === AGENTS.length ? rows : undefined;
  });
  console.log(`  registered in Cuebot's database: ${hosts.map((h) => h.str_name).sort().join(", ")}`);

  step("dummy-cuebot submit: a job with dependent layers");
  const jobName = `demo-shot01-${userInfo().username}_render`;
  const spec = join(runDir, "demo-job.yaml");
  writeFileSync(spec, `# sim frames render one by one; each render frame waits for its sim frame (frame by frame);
# comp waits for all of render (layer on layer) and runs only where the tag "big" is.
show: demo
name: ${jobName}
user: ${userInfo().username}
logDir: ${frameLogDir}
maxRetries: 1
layers:
  - { name: sim, command: "sleep 1; echo simulating frame #IFRAME#", range: 1-8, memory: 256MiB }
  - { name: render, command: "sleep 2; echo rendering frame #IFRAME# with $CUE_THREADS threads", range: 1-8, memory: 512MiB }
  - { name: comp, command: "sleep 1; echo compositing #FRAMESPEC#", range: 1-8, chunk: 4, cores: 2, memory: 256MiB, tags: [big] }
depends:
  - { layer: render, on: sim, type: FRAME_BY_FRAME }
  - { layer: comp, on: render }
`);
  const submit = start("submit", [bin.cuebot, "submit", "--database", databaseUrl, spec]);
  await submit.exited;
  if (submit.child.exitCode !== 0) throw new Error(`submit failed; see ${join(logDir, "submit.log")}`);
  console.log(`  ${jobName} from ${spec}`);

  step("cue-scheduler on the same database");
  start("cue-scheduler", [bin.scheduler, "--database-url", databaseUrl, "--grpc-port", String(rqdPort), "--facility", "local", "--metrics-port", "0",
    "--set", "logging.format=json", "--set", "queue.cluster_reload_interval=2s", "--set", "queue.cluster_empty_sleep=1s",
    "--set", "queue.cluster_saturated_sleep=1s", "--set", "host_cache.monitoring_interval=1s"]);

  step("rendering\n");
  let drawn = 0;
  let lastPlain = "";
  let jobs;
  const until = Date.now() + TIMEOUT_MS;
  for (;;) {
    if (interrupted) throw new Error("interrupted");
    jobs = await readJobProgress(db, { jobs: [jobName] });
    const lines = progressLines(jobs);
    if (tty) {
      process.stdout.write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}${lines.map((l) => `\x1b[2K${l}`).join("\n")}\n`);
      drawn = lines.length;
    } else {
      const text = lines.join("\n");
      if (text !== lastPlain) console.log(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s\n${text}`);
      lastPlain = text;
    }
    const job = jobs[0];
    if (job && job.state === "FINISHED") break;
    if (job && job.dead > 0 && job.running + job.waiting === 0) throw new Error("frames are DEAD and nothing else can run");
    if (Date.now() > until) throw new Error(`the job did not finish within ${TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }

  const wall = (Date.now() - t0) / 1000;
  const frames = await db.selectFrom("frame").innerJoin("layer", "layer.pk_layer", "frame.pk_layer")
    .select(["frame.str_name", "frame.str_host", "frame.str_state", "frame.ts_started", "frame.ts_stopped", "layer.str_name as layer"])
    .where("frame.pk_job", "=", jobs[0].id).execute();
  const perHost = new Map();
  for (const f of frames) {
    const h = perHost.get(f.str_host) ?? { frames: 0, layers: new Set(), seconds: 0 };
    h.frames++;
    h.layers.add(f.layer);
    if (f.ts_started && f.ts_stopped) h.seconds += (f.ts_stopped.getTime() - f.ts_started.getTime()) / 1000;
    perHost.set(f.str_host, h);
  }
  console.log(`\n${bold("summary")}`);
  console.log(table(["job", "frames", "succeeded", "dead", "wall time"], [[jobs[0].name, jobs[0].total, jobs[0].succeeded, jobs[0].dead, `${wall.toFixed(1)} s`]]));
  console.log("");
  console.log(table(["host", "frames", "layers", "busy seconds"], [...perHost.entries()].sort().map(([h, v]) => [h, v.frames, [...v.layers].join(","), v.seconds.toFixed(1)])));
  console.log(`\nlogs: ${logDir} (${procs.map((p) => `${p.name}.log`).join(", ")})`);
  console.log(`frame logs: ${frameLogDir}`);
} catch (e) {
  if (!interrupted) {
    console.error(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
    console.error(`logs: ${logDir}`);
    exitCode = 1;
  }
} finally {
  if (!interrupted) {
    await db?.destroy();
    step("stopping cue-scheduler, the agents and dummy-cuebot (with its PostgreSQL)");
    const left = await stopAll();
    if (left.length > 0) {
      console.error(`still running: ${left.join(", ")}`);
      exitCode = 1;
    } else console.log("  no process left behind");
    process.exit(exitCode);
  }
}
