// A durable FIFO on disk: one file per entry, named by a monotonic sequence number, written to a temp file,
// fsynced and renamed before enqueue() resolves. An entry leaves the queue only when ack() removes it, so
// completion reports survive a Cuebot outage and an agent crash, and are delivered in order.
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";

export interface QueueCodec<T> {
  encode(item: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export interface QueueEntry<T> {
  seq: number;
  item: T;
  file: string;
}

export interface DurableQueue<T> {
  enqueue(item: T): Promise<QueueEntry<T>>;
  /** Entries in order, oldest first. Unreadable files are moved aside (see `rejectedDir`) rather than blocking the queue. */
  entries(): Promise<QueueEntry<T>[]>;
  ack(seq: number): Promise<void>;
  /** Moves an entry that can never be delivered out of the queue, keeping it for an admin. */
  reject(seq: number, reason: string): Promise<void>;
  size(): number;
  readonly dir: string;
  readonly rejectedDir: string;
}

const SUFFIX = ".entry";
const name = (seq: number) => `${String(seq).padStart(12, "0")}${SUFFIX}`;

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function openDurableQueue<T>(dir: string, codec: QueueCodec<T>): Promise<DurableQueue<T>> {
  const rejectedDir = join(dir, "rejected");
  await mkdir(rejectedDir, { recursive: true, mode: 0o700 });
  const list = async () => (await readdir(dir)).filter((f) => f.endsWith(SUFFIX)).sort();
  const existing = await list();
  // Leftover temp files are writes that never completed: they were never acknowledged to anyone.
  for (const f of (await readdir(dir)).filter((f) => f.endsWith(".tmp"))) await rm(join(dir, f), { force: true });
  let next = existing.length ? Number.parseInt(existing[existing.length - 1]!, 10) + 1 : 1;
  let count = existing.length;

  const moveAside = async (file: string, reason: string) => {
    await rename(join(dir, file), join(rejectedDir, file));
    await open(join(rejectedDir, `${file}.reason.txt`), "w").then(async (fh) => {
      await fh.writeFile(reason + "\n");
      await fh.close();
    });
    count--;
  };

  return {
    dir,
    rejectedDir,
    size: () => count,
    async enqueue(item) {
      const seq = next++;
      const file = name(seq);
      const tmp = join(dir, `${file}.tmp`);
      const fh = await open(tmp, "w", 0o600);
      try {
        await fh.writeFile(codec.encode(item));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(dir, file));
      await fsyncDir(dir);
      count++;
      return { seq, item, file: join(dir, file) };
    },
    async entries() {
      const out: QueueEntry<T>[] = [];
      for (const f of await list()) {
        try {
          out.push({ seq: Number.parseInt(f, 10), item: codec.decode(await readFile(join(dir, f))), file: join(dir, f) });
        } catch (e) {
          await moveAside(f, `unreadable: ${(e as Error).message}`);
        }
      }
      return out;
    },
    async ack(seq) {
      await rm(join(dir, name(seq)), { force: true });
      count = Math.max(0, count - 1);
    },
    async reject(seq, reason) {
      await moveAside(name(seq), reason);
    },
  };
}
