// Output that arrives as events (pty mode) must be taken at once or the frame blocks on a full terminal.
// So it is queued to a stream with a bound: past it, output is dropped and a note says how much, rather
// than the render stalling on a slow disk.
import type { Writable } from "node:stream";

export interface BoundedWriter {
  write(chunk: Buffer): void;
  /** Bytes dropped so far. */
  readonly dropped: number;
  /** Flushes, notes any drop still pending, and ends the stream. */
  end(): Promise<void>;
}

const dropNote = (n: number) => Buffer.from(`\n[frame-runner: ${n} bytes of output dropped: the disk could not keep up]\n`);

export function createBoundedWriter(stream: Writable, maxQueuedBytes: number): BoundedWriter {
  let dropped = 0;
  let unreported = 0;
  return {
    get dropped() {
      return dropped;
    },
    write(chunk) {
      if (stream.writableLength + chunk.length > maxQueuedBytes) {
        dropped += chunk.length;
        unreported += chunk.length;
        return;
      }
      if (unreported > 0) {
        stream.write(dropNote(unreported));
        unreported = 0;
      }
      stream.write(chunk);
    },
    end() {
      if (unreported > 0) stream.write(dropNote(unreported));
      unreported = 0;
      return new Promise<void>((resolve) => {
        if (stream.writableFinished || stream.destroyed) return resolve();
        stream.once("error", () => resolve());
        stream.end(() => resolve());
      });
    },
  };
}
