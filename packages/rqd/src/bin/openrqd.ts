import { ConfigError, createLogger } from "@opencue-ts/service-kit";
import { AgentError } from "../agent/agent-error.js";
import { startAgent } from "../agent/agent.js";
import { isBenignSessionError } from "../agent/process-guards.js";
import { runRqdCli } from "../cli.js";
import { loadRqdConfig } from "../config/rqd-config.js";

const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };

/** EX_CONFIG: the systemd unit does not restart on it (RestartPreventExitStatus=78). */
const EXIT_CONFIG = 78;

const code = await runRqdCli(process.argv.slice(2), io, async (options) => {
  let loaded;
  try {
    loaded = await loadRqdConfig(options);
  } catch (e) {
    io.err(`openrqd: ${e instanceof ConfigError ? e.message : `cannot load the configuration: ${(e as Error).message}`}\n`);
    return EXIT_CONFIG;
  }
  const { config, file, warnings } = loaded;
  const log = createLogger({
    service: "openrqd", level: config.logging.level, format: config.logging.format as "auto" | "json" | "text",
    file: config.logging.file_appender ? { path: config.logging.path } : null,
  });
  for (const w of warnings) log.warn(`config: ${w.key}: ${w.message}`);
  process.on("uncaughtException", (err) => {
    if (isBenignSessionError(err)) {
      log.warn(`ignored an HTTP/2 session error of the Cuebot connection: ${err.message}`);
      return;
    }
    log.error(`uncaught exception: ${err.stack ?? err.message}`);
    process.stderr.write(`openrqd: uncaught exception: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
  let agent;
  try {
    agent = await startAgent({ config, configFile: file, log });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log.error(`openrqd cannot start: ${msg}`);
    io.err(`openrqd: cannot start: ${msg}\n`);
    return e instanceof AgentError && (e.code === "config" || e.code === "bind" || e.code === "metrics") ? EXIT_CONFIG : 1;
  }
  const mode = config.lifecycle.drain_on_signal as "wait" | "kill" | "detach";
  const onSignal = (sig: NodeJS.Signals) => {
    log.info(`${sig} received`);
    // A second signal while draining kills what still runs.
    if (agent.state() === "draining") agent.stop("kill", 0);
    else agent.stop(mode, 0);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const exitCode = await agent.finished;
  // Flush winston before leaving; frames left running (drain "detach") must not keep the process alive.
  await new Promise<void>((r) => {
    log.on("finish", () => r());
    log.end();
    setTimeout(r, 500).unref();
  });
  process.exit(exitCode);
});
process.exitCode = code;
