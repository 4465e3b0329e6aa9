import { parseArgs } from "node:util";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, integer, parse, UsageError, type Options, type Values } from "./cli-args.js";
import { ConnectError } from "@opencue-ts/proto";
import { createReportServer, type ReportServer } from "./report-server.js";
import { openReportServerBackend, REPORT_SERVER_DB_HELP, reportServerDbOptions, runJobs, runKillFrame, runSubmit, type DbBackend } from "./cli-db.js";
import { DummyCuebotError } from "./db/errors.js";
import { createRqdClient, type RqdClient } from "./rqd-client.js";
import { buildRunFrame, frameLogPath, systemRunFrameEnvironment, type RunFrameEnvironment } from "./run-frame.js";
import {
  describeCallError,
  describeReport,
  hostReportTable,
  hostReportToJson,
  reportToJson,
  runFrameToJson,
  runningFrameInfoTable,
  runningFrameInfoToJson,
} from "./format.js";

/** Where the CLI writes and what stops a long-running command; the bin wires these to the process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Aborting stops `report-server` cleanly. */
  readonly signal?: AbortSignal;
  readonly runFrameEnv?: RunFrameEnvironment;
  /** Called once report-server is listening (tests use it instead of parsing output). */
  readonly onListening?: (server: ReportServer) => void;
}

const MAIN_USAGE = `Usage: dummy-cuebot <command> [options]

A stand-in Cuebot for testing RQD hosts over OpenCue's gRPC wire contract.

Commands:
  report-server   serve report.RqdReportInterface and print every report RQD sends
                  (with --database/--embedded: apply each to a Cuebot database, as Cuebot does)
  rqd-client      call one rqd.RqdInterface / rqd.RunningFrame method on an RQD host
  submit          submit a job (YAML/JSON spec or flags) to a Cuebot database
  jobs            print jobs and their progress from a Cuebot database
  kill-frame      kill a running frame on the host the database says runs it

Run "dummy-cuebot <command> --help" for the options of a command.
`;

const REPORT_SERVER_USAGE = `Usage: dummy-cuebot report-server [--port 4343] [--host 0.0.0.0] [--json] [--database URL | --embedded [--data-dir DIR]]

Serves report.RqdReportInterface (ReportRqdStartup, ReportStatus, ReportRunningFrameCompletion),
answers OK and prints each report: one readable line, or one JSON object per line with --json
(proto3 JSON: int64 values as strings). Stops cleanly on SIGINT/SIGTERM.

Options:
  --port N     port to listen on (default 4343; 0 picks a free port)
  --host ADDR  address to bind (default 0.0.0.0)
  --json       print JSON lines instead of text
  -h, --help   show this help
${REPORT_SERVER_DB_HELP}
With a database, each printed report ends with what was applied ("-> 0001-render SUCCEEDED
(exit 0), proc released, job FINISHED"); the JSON objects get "applied" or "error", and the
listening event the database URL as "database".
`;

const globalClientOptions = {
  host: { type: "string" },
  port: { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} satisfies Options;

interface CommandContext {
  readonly client: RqdClient;
  readonly values: Values;
  readonly positionals: readonly string[];
  readonly json: boolean;
  readonly io: CliIo;
  readonly usage: string;
}

interface CommandSpec {
  readonly name: string;
  readonly rpc: string;
  readonly args: string;
  readonly summary: string;
  readonly options?: Options;
  readonly optionHelp?: string;
  readonly positionals: readonly [min: number, max: number];
  readonly run: (ctx: CommandContext) => Promise<void>;
}

function parseEnv(entries: readonly string[], usage: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of entries.flatMap((e) => e.split(","))) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--env expects KEY=VALUE pairs, got "${pair}"`, usage);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

const ok = (ctx: CommandContext, text: string): void => {
  ctx.io.stdout(ctx.json ? `${JSON.stringify({ ok: true })}\n` : `${text}\n`);
};

/** Commands without a request payload: one per RQD method, named after it. */
const simple = (name: string, rpc: string, summary: string, call: (c: RqdClient) => Promise<void>): CommandSpec => ({
  name,
  rpc,
  args: "",
  summary,
  positionals: [0, 0],
  run: async (ctx) => {
    await call(ctx.client);
    ok(ctx, `${rpc}: ok`);
  },
});

const coresCommand = (name: string, rpc: string, summary: string, call: (c: RqdClient, n: number) => Promise<void>): CommandSpec => ({
  name,
  rpc,
  args: "N",
  summary,
  positionals: [1, 1],
  run: async (ctx) => {
    const n = integer(ctx.positionals[0], "N", ctx.usage, -(2 ** 31))!;
    await call(ctx.client, n);
    ok(ctx, `${rpc} ${n}: ok`);
  },
});

const COMMANDS: readonly CommandSpec[] = [
  {
    name: "launch-frame",
    rpc: "RqdInterface/LaunchFrame",
    args: "CMD...",
    summary: "launch a frame running CMD (words are joined with spaces)",
    positionals: [1, Infinity],
    options: {
      env: { type: "string", multiple: true },
      "run-as-user": { type: "boolean" },
      cores: { type: "string" },
      gpus: { type: "string" },
      "log-dir": { type: "string" },
      job: { type: "string" },
      frame: { type: "string" },
      show: { type: "string" },
      shot: { type: "string" },
      user: { type: "string" },
      "frame-id": { type: "string" },
      "ignore-nimby": { type: "boolean" },
    },
    optionHelp: `  --env K=V,...    environment for the frame (repeatable)
  --run-as-user    send the caller's uid so RQD runs the frame as this user
  --cores N        whole cores, sent as num_cores N*100 (default 1)
  --gpus N         GPUs (default 0)
  --log-dir DIR    log directory (default the OS temp dir, /tmp)
  --job NAME       job name (default test_job)
  --frame NAME     frame name (default test_frame)
  --show NAME      show (default show)
  --shot NAME      shot (default shot)
  --user NAME      user name (default the OS user)
  --frame-id ID    frame id (default a fresh UUID)
  --ignore-nimby   set ignore_nimby
`,
    run: async (ctx) => {
      const v = ctx.values;
      const frame = buildRunFrame(
        {
          command: ctx.positionals.join(" "),
          environment: parseEnv((v["env"] as string[] | undefined) ?? [], ctx.usage),
          runAsUser: v["run-as-user"] === true,
          cores: integer(v["cores"] as string | undefined, "--cores", ctx.usage, 1),
          gpus: integer(v["gpus"] as string | undefined, "--gpus", ctx.usage, 0),
          logDir: v["log-dir"] as string | undefined,
          jobName: v["job"] as string | undefined,
          frameName: v["frame"] as string | undefined,
          show: v["show"] as string | undefined,
          shot: v["shot"] as string | undefined,
          user: v["user"] as string | undefined,
          frameId: v["frame-id"] as string | undefined,
          ignoreNimby: v["ignore-nimby"] === true,
        },
        ctx.io.runFrameEnv ?? systemRunFrameEnvironment,
      );
      await ctx.client.launchFrame(frame);
      ctx.io.stdout(
        ctx.json
          ? `${JSON.stringify(runFrameToJson(frame))}\n`
          : `Launched frame ${frame.frameId} (job ${frame.jobName}, frame ${frame.frameName}, ` +
              `resource ${frame.resourceId}, num_cores ${frame.numCores}); log ${frameLogPath(frame)}\n`,
      );
    },
  },
  {
    name: "kill-frame",
    rpc: "RqdInterface/KillRunningFrame",
    args: "FRAME_ID",
    summary: "kill a running frame",
    positionals: [1, 1],
    options: { reason: { type: "string" } },
    optionHelp: `  --reason TEXT    kill message (default "No reason")\n`,
    run: async (ctx) => {
      await ctx.client.killRunningFrame(ctx.positionals[0]!, ctx.values["reason"] as string | undefined);
      ok(ctx, `RqdInterface/KillRunningFrame ${ctx.positionals[0]}: ok`);
    },
  },
  {
    name: "report-status",
    rpc: "RqdInterface/ReportStatus",
    args: "",
    summary: "print the host report as tables",
    positionals: [0, 0],
    run: async (ctx) => {
      const report = await ctx.client.reportStatus();
      if (ctx.json) ctx.io.stdout(`${JSON.stringify(report ? hostReportToJson(report) : null)}\n`);
      else ctx.io.stdout(report ? `${hostReportTable(report)}\n` : "RQD returned no host report\n");
    },
  },
  {
    name: "get-run-frame",
    rpc: "RqdInterface/GetRunFrame",
    args: "FRAME_ID",
    summary: "print the RunFrame RQD holds for a frame (as JSON)",
    positionals: [1, 1],
    options: { "job-id": { type: "string" }, "layer-id": { type: "string" }, "run-frame-id": { type: "string" } },
    optionHelp: `  --job-id ID       job id
  --layer-id ID     layer id
  --run-frame-id N  run frame id
`,
    run: async (ctx) => {
      const frame = await ctx.client.getRunFrame({
        frameId: ctx.positionals[0]!,
        jobId: ctx.values["job-id"] as string | undefined,
        layerId: ctx.values["layer-id"] as string | undefined,
        runFrameId: integer(ctx.values["run-frame-id"] as string | undefined, "--run-frame-id", ctx.usage, 0),
      });
      const json = frame ? runFrameToJson(frame) : null;
      ctx.io.stdout(`${ctx.json ? JSON.stringify(json) : JSON.stringify(json, null, 2)}\n`);
    },
  },
  {
    name: "running-frame-status",
    rpc: "RqdInterface/GetRunningFrameStatus",
    args: "FRAME_ID",
    summary: "print the RunningFrameInfo of a frame",
    positionals: [1, 1],
    run: async (ctx) => {
      const info = await ctx.client.getRunningFrameStatus(ctx.positionals[0]!);
      if (ctx.json) ctx.io.stdout(`${JSON.stringify(info ? runningFrameInfoToJson(info) : null)}\n`);
      else ctx.io.stdout(info ? `${runningFrameInfoTable(info)}\n` : "RQD returned no frame info\n");
    },
  },
  coresCommand("lock", "RqdInterface/Lock", "lock N cores", (c, n) => c.lock(n)),
  coresCommand("unlock", "RqdInterface/Unlock", "unlock N cores", (c, n) => c.unlock(n)),
  simple("lock-all", "RqdInterface/LockAll", "lock every core", (c) => c.lockAll()),
  simple("unlock-all", "RqdInterface/UnlockAll", "unlock every core", (c) => c.unlockAll()),
  simple("nimby-on", "RqdInterface/NimbyOn", "enable NIMBY", (c) => c.nimbyOn()),
  simple("nimby-off", "RqdInterface/NimbyOff", "disable NIMBY", (c) => c.nimbyOff()),
  simple("reboot-now", "RqdInterface/RebootNow", "reboot the host now", (c) => c.rebootNow()),
  simple("reboot-idle", "RqdInterface/RebootIdle", "reboot the host once idle", (c) => c.rebootIdle()),
  simple("restart-now", "RqdInterface/RestartRqdNow", "restart RQD now", (c) => c.restartRqdNow()),
  simple("restart-idle", "RqdInterface/RestartRqdIdle", "restart RQD once idle", (c) => c.restartRqdIdle()),
  simple("shutdown-now", "RqdInterface/ShutdownRqdNow", "stop RQD now", (c) => c.shutdownRqdNow()),
  simple("shutdown-idle", "RqdInterface/ShutdownRqdIdle", "stop RQD once idle", (c) => c.shutdownRqdIdle()),
  {
    name: "running-frame-kill",
    rpc: "RunningFrame/Kill",
    args: "FRAME_ID",
    summary: "kill a frame through the rqd.RunningFrame service",
    positionals: [1, 1],
    options: { reason: { type: "string" } },
    optionHelp: `  --reason TEXT    kill message (default "No reason")\n`,
    run: async (ctx) => {
      await ctx.client.runningFrameKill({ frameId: ctx.positionals[0]! }, ctx.values["reason"] as string | undefined);
      ok(ctx, `RunningFrame/Kill ${ctx.positionals[0]}: ok`);
    },
  },
  {
    name: "running-frame-status-rf",
    rpc: "RunningFrame/Status",
    args: "FRAME_ID",
    summary: "RunningFrameInfo through the rqd.RunningFrame service",
    positionals: [1, 1],
    run: async (ctx) => {
      const info = await ctx.client.runningFrameStatus({ frameId: ctx.positionals[0]! });
      if (ctx.json) ctx.io.stdout(`${JSON.stringify(info ? runningFrameInfoToJson(info) : null)}\n`);
      else ctx.io.stdout(info ? `${runningFrameInfoTable(info)}\n` : "RQD returned no frame info\n");
    },
  },
];

/** Every rqd-client subcommand with the RPC it calls (for docs and tests). */
export const RQD_CLIENT_COMMANDS: readonly { readonly name: string; readonly rpc: string }[] = COMMANDS.map((c) => ({
  name: c.name,
  rpc: c.rpc,
}));

const RQD_CLIENT_USAGE = `Usage: dummy-cuebot rqd-client [--host localhost] [--port 8444] [--timeout ms] [--json] <command> [args]

Calls one method of an RQD host (plaintext gRPC over HTTP/2) and prints the answer.

Options (before or after the command):
  --host HOST     RQD host (default localhost)
  --port N        RQD port (default 8444)
  --timeout MS    call deadline in ms (default 10000)
  --json          print results as JSON
  -h, --help      show help

Commands:
${COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(26)} ${c.summary} (${c.rpc})`).join("\n")}

Exit status: 0 ok, 1 call failed (unreachable host, or the gRPC status as "CODE: message"), 2 bad arguments.
`;

const commandUsage = (c: CommandSpec): string =>
  `Usage: dummy-cuebot rqd-client [--host H] [--port N] [--timeout MS] [--json] ${c.name}${c.args ? ` ${c.args}` : ""}${
    c.options ? " [options]" : ""
  }

${c.summary}; calls rqd.${c.rpc}.
${c.optionHelp ? `\nOptions:\n${c.optionHelp}` : ""}`;

async function runRqdClient(args: readonly string[], io: CliIo): Promise<number> {
  // Global options come first; the first positional is the command.
  const { tokens } = parseArgs({ args: [...args], options: globalClientOptions, allowPositionals: true, strict: false, tokens: true });
  const commandToken = tokens.find((t) => t.kind === "positional");
  const prefix = commandToken ? args.slice(0, commandToken.index) : args;
  const pre = parse(prefix, globalClientOptions, RQD_CLIENT_USAGE);
  if (!commandToken) {
    if (pre.values["help"]) {
      io.stdout(RQD_CLIENT_USAGE);
      return EXIT_OK;
    }
    throw new UsageError("missing command", RQD_CLIENT_USAGE);
  }
  const spec = COMMANDS.find((c) => c.name === commandToken.value);
  if (!spec) throw new UsageError(`unknown command "${commandToken.value}"`, RQD_CLIENT_USAGE);
  const usage = commandUsage(spec);
  const rest = parse(args.slice(commandToken.index + 1), { ...globalClientOptions, ...spec.options }, usage);
  const values: Values = { ...pre.values, ...rest.values };
  if (values["help"]) {
    io.stdout(usage);
    return EXIT_OK;
  }
  const [min, max] = spec.positionals;
  if (rest.positionals.length < min) {
    throw new UsageError(`missing ${spec.args.split(" ")[rest.positionals.length] ?? "argument"}`, usage);
  }
  if (rest.positionals.length > max) throw new UsageError(`unexpected argument "${rest.positionals[max]}"`, usage);

  const host = (values["host"] as string | undefined) ?? "localhost";
  const port = integer(values["port"] as string | undefined, "--port", usage, 1, 65535) ?? 8444;
  const timeoutMs = integer(values["timeout"] as string | undefined, "--timeout", usage, 1) ?? 10_000;
  const client = createRqdClient({ host, port, timeoutMs });
  try {
    await spec.run({ client, values, positionals: rest.positionals, json: values["json"] === true, io, usage });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    io.stderr(`${describeCallError(e, `${host}:${port}`)}\n`);
    return EXIT_FAILURE;
  } finally {
    client.close();
  }
}

async function runReportServer(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(
    args,
    { port: { type: "string" }, host: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" }, ...reportServerDbOptions },
    REPORT_SERVER_USAGE,
  );
  if (values["help"]) {
    io.stdout(REPORT_SERVER_USAGE);
    return EXIT_OK;
  }
  const port = integer(values["port"] as string | undefined, "--port", REPORT_SERVER_USAGE, 0, 65535) ?? 4343;
  const host = (values["host"] as string | undefined) ?? "0.0.0.0";
  const json = values["json"] === true;
  if (io.signal?.aborted) return EXIT_OK;
  let backend: DbBackend | undefined;
  try {
    backend = await openReportServerBackend(values, REPORT_SERVER_USAGE, io);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    io.stderr(`Cannot open the database: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  let server: ReportServer;
  try {
    server = await createReportServer({ port, host, handler: backend?.handler });
  } catch (e) {
    await backend?.close();
    io.stderr(`Cannot listen on ${host}:${port}: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  io.stdout(
    json
      ? `${JSON.stringify({ event: "listening", address: server.address, port: server.port, ...(backend ? { database: backend.url } : {}) })}\n`
      : `dummy-cuebot report-server listening on ${server.address}${backend ? `, database ${backend.url}` : ""}\n`,
  );
  io.onListening?.(server);
  const stop = (): void => void server.close();
  io.signal?.addEventListener("abort", stop, { once: true });
  if (io.signal?.aborted) stop();
  for await (const report of server.reports()) {
    io.stdout(json ? `${JSON.stringify(reportToJson(report))}\n` : `${describeReport(report)}\n`);
  }
  await backend?.close();
  if (!json) io.stderr("report-server stopped\n");
  return EXIT_OK;
}

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE };

/** Runs the dummy-cuebot CLI; resolves to the exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "report-server":
        return await runReportServer(rest, io);
      case "rqd-client":
        return await runRqdClient(rest, io);
      case "submit":
        return await runSubmit(rest, io);
      case "jobs":
        return await runJobs(rest, io);
      case "kill-frame":
        return await runKillFrame(rest, io);
      case "-h":
      case "--help":
      case "help":
        io.stdout(MAIN_USAGE);
        return EXIT_OK;
      case undefined:
        throw new UsageError("missing command", MAIN_USAGE);
      default:
        throw new UsageError(`unknown command "${command}"`, MAIN_USAGE);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`dummy-cuebot: ${e.message}\n\n${e.usage}`);
      return EXIT_USAGE;
    }
    if (e instanceof DummyCuebotError) {
      io.stderr(`dummy-cuebot: ${e.code}: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    // Anything else is a bug or an unexpected failure: one line, non-zero.
    io.stderr(`dummy-cuebot: ${e instanceof ConnectError ? e.message : String((e as Error)?.message ?? e)}\n`);
    return EXIT_FAILURE;
  }
}
