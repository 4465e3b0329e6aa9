// LaunchFrame on a host's RQD at http://{host}:{rqd.grpc_port}, over a small per-host client cache.
// Transient gRPC codes (the reference's list) drop the cached connection and retry once.
import { Code, ConnectError, createRpcClient, createRpcTransport, RqdInterface, type Client, type RpcTransport, type RunFrame } from "@opencue-ts/proto";
import { SchedulerError } from "../errors.js";

export interface RqdLauncher {
  launch(hostName: string, frame: RunFrame): Promise<void>;
  /** Best effort, after a failed launch that may have started the frame anyway. */
  kill(hostName: string, frameId: string, message: string): Promise<void>;
  close(): void;
}

export interface RqdLauncherOptions {
  readonly port: number;
  readonly timeoutMs: number;
  readonly maxClients?: number;
}

const RETRYABLE = new Set([Code.Unauthenticated, Code.Unavailable, Code.Aborted, Code.PermissionDenied, Code.DeadlineExceeded, Code.Internal, Code.Unknown]);

interface Entry { transport: RpcTransport; client: Client<typeof RqdInterface> }

export function createRqdLauncher(opts: RqdLauncherOptions): RqdLauncher {
  const cache = new Map<string, Entry>(); // insertion order = LRU order
  const max = opts.maxClients ?? 100;

  function entry(host: string): Entry {
    let e = cache.get(host);
    if (e) {
      cache.delete(host);
      cache.set(host, e);
      return e;
    }
    const transport = createRpcTransport({ host, port: opts.port, defaultTimeoutMs: opts.timeoutMs });
    e = { transport, client: createRpcClient(RqdInterface, { transport }) };
    cache.set(host, e);
    while (cache.size > max) {
      const [oldest, old] = cache.entries().next().value as [string, Entry];
      cache.delete(oldest);
      old.transport.close();
    }
    return e;
  }

  function drop(host: string): void {
    const e = cache.get(host);
    if (e) {
      cache.delete(host);
      e.transport.close();
    }
  }

  return {
    async launch(host, frame) {
      for (let attempt = 0; ; attempt++) {
        try {
          await entry(host).client.launchFrame({ runFrame: frame }, { timeoutMs: opts.timeoutMs });
          return;
        } catch (e) {
          const err = ConnectError.from(e);
          drop(host);
          if (attempt === 0 && RETRYABLE.has(err.code)) continue;
          const code = err.code === Code.Unavailable || err.code === Code.DeadlineExceeded ? "RQD_UNREACHABLE" : "RQD_REJECTED";
          throw new SchedulerError(code, `LaunchFrame on ${host}:${opts.port} failed: ${Code[err.code]}: ${err.rawMessage}`, { cause: e });
        }
      }
    },
    async kill(host, frameId, message) {
      try {
        await entry(host).client.killRunningFrame({ frameId, message }, { timeoutMs: opts.timeoutMs });
      } catch {
        drop(host); // the frame is most likely not there: nothing to undo
      }
    },
    close() {
      for (const e of cache.values()) e.transport.close();
      cache.clear();
    },
  };
}
