// Copies a frame's raw output file into its RQD log. The frame writes straight to the raw file (never to a
// pipe the agent must drain), so a slow agent or disk never blocks it, and its output survives an agent
// restart; the agent tails the file, prefixes timestamps and appends lines to the log.
import { open, type FileHandle } from "node:fs/promises";
import { linePrefix } from "./frame-log.js";

const CHUNK = 256 * 1024;

export interface OutputTailer {
  /** Bytes of the raw file already copied (persisted for recovery). */
  readonly offset: number;
  /** Epoch ms of the last output copied, 0 if none yet. */
  readonly lastOutputAt: number;
  /** Copies everything new; with `final`, also the last partial line. */
  pump(final?: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function createOutputTailer(rawPath: string, log: FileHandle, opts: { offset: number; prependTimestamp: boolean; now: () => number }): Promise<OutputTailer> {
  const raw = await open(rawPath, "r");
  let offset = opts.offset;
  let lastOutputAt = 0;
  let partial = "";
  let busy: Promise<void> = Promise.resolve();
  const buf = Buffer.alloc(CHUNK);

  const pumpOnce = async (final: boolean) => {
    for (;;) {
      const { bytesRead } = await raw.read(buf, 0, CHUNK, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
      lastOutputAt = opts.now();
      const text = partial + buf.toString("utf8", 0, bytesRead);
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      if (lines.length > 0) {
        const prefix = opts.prependTimestamp ? linePrefix(lastOutputAt) : "";
        await log.appendFile(lines.map((l) => prefix + l.replace(/\r$/, "")).join("\n") + "\n");
      }
      if (bytesRead < CHUNK) break;
    }
    if (final && partial !== "") {
      await log.appendFile((opts.prependTimestamp ? linePrefix(opts.now()) : "") + partial + "\n");
      partial = "";
    }
  };

  return {
    get offset() {
      // A partial line is not yet in the log: recovery must re-read it.
      return offset - Buffer.byteLength(partial);
    },
    get lastOutputAt() {
      return lastOutputAt;
    },
    pump(final = false) {
      busy = busy.then(() => pumpOnce(final));
      return busy;
    },
    async close() {
      await busy.catch(() => undefined);
      await raw.close();
    },
  };
}
