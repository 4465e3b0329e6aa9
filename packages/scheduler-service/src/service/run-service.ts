// `cue-scheduler` run: config -> database (embedded or checked) -> metrics/health endpoint -> the
// service, until SIGINT/SIGTERM (graceful) or the empty-cycle limit. Exit codes: 0 stopped, 78 a
// configuration problem that a restart cannot fix (bad config, incompatible schema).
import { ConfigError, createLogger, startHttpEndpoints } from "@opencue-ts/service-kit";
import { checkSchedulerConfig, loadSchedulerConfig } from "../config/scheduler-config.js";
import type { SchedulerCliOptions } from "../cli.js";
import { createSchedulerMetrics } from "../metrics.js";
import { errorMessage, SchedulerError } from "../errors.js";
import { openDatabase } from "./database-setup.js";
import { createSchedulerService } from "./scheduler-service.js";

export const EXIT_CONFIG = 78;

export async function runSchedulerService(options: SchedulerCliOptions, io: { err(t: string): void }): Promise<number> {
  let loaded;
  try {
    loaded = await loadSchedulerConfig(options);
  } catch (e) {
    io.err(`cue-scheduler: ${e instanceof ConfigError ? e.message : errorMessage(e)}\n`);
    return EXIT_CONFIG;
  }
  const cfg = loaded.config;
  const problems = checkSchedulerConfig(cfg);
  if (problems.length > 0) {
    io.err(`cue-scheduler: invalid configuration:\n${problems.map((p) => `  ${p.key}: ${p.message}`).join("\n")}\n`);
    return EXIT_CONFIG;
  }
  const log = createLogger({ service: "cue-scheduler", level: cfg.logging.level, format: cfg.logging.format as "auto" | "json" | "text", file: cfg.logging.file_appender ? { path: cfg.logging.path } : null });
  for (const w of loaded.warnings) log.warn(`config: ${w.key}: ${w.message}`);
  log.info("configuration loaded", { file: loaded.file ?? "(none: defaults)" });

  const metrics = createSchedulerMetrics();
  const shutdown = new AbortController();
  let service: ReturnType<typeof createSchedulerService> | null = null;
  let signalled = false;
  const onSignal = (sig: string) => {
    if (signalled) return;
    signalled = true;
    log.info(`${sig} received: stopping`);
    shutdown.abort();
    void service?.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let dbState = "connecting";
  const http = await startHttpEndpoints({
    port: cfg.queue.metrics_port,
    registry: metrics.registry,
    health: () => (service ? service.health() : { healthy: false, details: { state: dbState } }),
  }).catch((e: unknown) => {
    log.error(`cannot serve metrics on port ${cfg.queue.metrics_port}: ${errorMessage(e)}`);
    return null;
  });
  if (http) log.info("metrics and health endpoint listening", { port: http.port, paths: ["/metrics", "/healthz"] });

  let opened;
  try {
    opened = await openDatabase(cfg, log, { signal: shutdown.signal, onUnreachable: () => { metrics.databaseUp.set(0); metrics.problems.inc({ code: "DATABASE_UNREACHABLE" }); } });
  } catch (e) {
    await http?.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (e instanceof SchedulerError && e.code === "DATABASE_UNREACHABLE" && shutdown.signal.aborted) return 0;
    log.error(errorMessage(e), { code: e instanceof SchedulerError ? e.code : "STARTUP" });
    return EXIT_CONFIG;
  }
  dbState = "connected";
  service = createSchedulerService({ config: cfg, db: opened.db, bookingDb: opened.bookingDb, logger: log, metrics });
  if (!shutdown.signal.aborted) await service.start();
  if (shutdown.signal.aborted) await service.stop();
  await service.stopped;
  await http?.close();
  await opened.close();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  log.info("bye");
  return 0;
}
