// openrqd's command line. Flags map onto config keys, so a flag, an env var and a YAML key are one thing.
import { parseArgs } from "node:util";
import { parseSetFlags, printSampleConfig, validateConfigCommand, type ConfigCliIo } from "@opencue-ts/service-kit";
import { loadRqdConfig, rqdConfigSchema, RQD_SAMPLE_HEADER } from "./config/rqd-config.js";

export const RQD_USAGE = `Usage: openrqd [options]

The OpenCue render-host agent (RQD).

Options:
  -c, --config FILE          config file (default: $OPENCUE_RQD_CONFIG, then rqd.yaml found upwards,
                             then ~/.local/share/rqd.yaml, then /etc/opencue/rqd.yaml)
  -p, --port N               gRPC port (grpc.rqd_port, default 8444)
      --bind ADDRESS         gRPC listen address, e.g. 127.0.0.11 (grpc.rqd_bind_address, default 0.0.0.0)
      --hostname NAME        host name reported to Cuebot (machine.override_real_values.hostname)
      --use-ip-as-hostname   report the listen address (or the resolved host address) as the name
                             (machine.use_ip_as_hostname)
      --cores N              physical cores to report and book (machine.override_real_values.cores,
                             with procs 1)
      --memory SIZE          memory to report and book, e.g. 64GB (machine.override_real_values.memory_size)
      --tags A,B             extra host tags (machine.custom_tags)
      --state-dir DIR        frame records and the completion queue (runner.state_dir)
      --metrics-port N       /metrics and /healthz port, 0 = any free port (metrics.port)
      --no-metrics           do not serve /metrics and /healthz (metrics.enabled false)
      --cuebot HOST:PORT     Cuebot report endpoint(s), comma-separated (grpc.cuebot_endpoints)
      --facility NAME        facility reported to Cuebot (machine.facility)
      --set KEY=VALUE        set any config key, e.g. --set machine.monitor_interval=10s (repeatable)
      --validate-config      print the effective configuration, or every bad key, and exit
      --print-sample-config  print a documented rqd.yaml with every key and its default, and exit
  -h, --help                 show this help

Environment: OPENRQD_<SECTION>__<KEY>=value overrides a key, e.g. OPENRQD_GRPC__RQD_PORT=4778.
Docs: docs/rqd.md and config/rqd.yaml in the opencue-ts repository.
`;

export interface RqdCliOptions {
  configPath?: string;
  overrides: Record<string, string>;
}

export type RqdCliAction = { kind: "help" } | { kind: "validate"; options: RqdCliOptions } | { kind: "sample" } | { kind: "run"; options: RqdCliOptions };

/** Parses argv (without node and script); throws an Error naming the bad argument. */
export function parseRqdArgs(argv: readonly string[]): RqdCliAction {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string", short: "c" },
      port: { type: "string", short: "p" },
      cuebot: { type: "string" },
      facility: { type: "string" },
      bind: { type: "string" },
      hostname: { type: "string" },
      "use-ip-as-hostname": { type: "boolean" },
      cores: { type: "string" },
      memory: { type: "string" },
      tags: { type: "string" },
      "state-dir": { type: "string" },
      "metrics-port": { type: "string" },
      "no-metrics": { type: "boolean" },
      set: { type: "string", multiple: true },
      "validate-config": { type: "boolean" },
      "print-sample-config": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  if (values.help) return { kind: "help" };
  if (values["print-sample-config"]) return { kind: "sample" };
  const overrides = parseSetFlags(values.set);
  if (values.port !== undefined) overrides["grpc.rqd_port"] = values.port;
  if (values.cuebot !== undefined) overrides["grpc.cuebot_endpoints"] = values.cuebot;
  if (values.facility !== undefined) overrides["machine.facility"] = values.facility;
  if (values.bind !== undefined) overrides["grpc.rqd_bind_address"] = values.bind;
  if (values.hostname !== undefined) overrides["machine.override_real_values.hostname"] = values.hostname;
  if (values["use-ip-as-hostname"]) overrides["machine.use_ip_as_hostname"] = "true";
  if (values.cores !== undefined) {
    overrides["machine.override_real_values.cores"] = values.cores;
    overrides["machine.override_real_values.procs"] ??= "1";
  }
  if (values.memory !== undefined) overrides["machine.override_real_values.memory_size"] = values.memory;
  if (values.tags !== undefined) overrides["machine.custom_tags"] = values.tags;
  if (values["state-dir"] !== undefined) overrides["runner.state_dir"] = values["state-dir"];
  if (values["metrics-port"] !== undefined) overrides["metrics.port"] = values["metrics-port"];
  if (values["no-metrics"]) overrides["metrics.enabled"] = "false";
  const options = { configPath: values.config, overrides };
  return values["validate-config"] ? { kind: "validate", options } : { kind: "run", options };
}

/** Runs the CLI; returns the exit code. `runAgent` starts the agent for the "run" action. */
export async function runRqdCli(argv: readonly string[], io: ConfigCliIo, runAgent: (o: RqdCliOptions) => Promise<number>): Promise<number> {
  let action: RqdCliAction;
  try {
    action = parseRqdArgs(argv);
  } catch (e) {
    io.err(`openrqd: ${(e as Error).message}\n\n${RQD_USAGE}`);
    return 2;
  }
  switch (action.kind) {
    case "help":
      io.out(RQD_USAGE);
      return 0;
    case "sample":
      return printSampleConfig(rqdConfigSchema, RQD_SAMPLE_HEADER, io);
    case "validate":
      return validateConfigCommand(rqdConfigSchema, () => loadRqdConfig(action.options), io);
    case "run":
      return runAgent(action.options);
  }
}
