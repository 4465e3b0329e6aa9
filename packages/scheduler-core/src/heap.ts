// A binary min-heap with an in-place "top changed" fix-up, for the show and job queues.

export interface Heap<T> {
  readonly size: number;
  peek(): T | undefined;
  push(item: T): void;
  pop(): T | undefined;
  /** The top's key changed: restore the order. */
  updateTop(): void;
}

export function createHeap<T>(less: (a: T, b: T) => boolean, items: readonly T[] = []): Heap<T> {
  const a: T[] = [...items];
  const down = (i: number) => {
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const m = r < n && less(a[r]!, a[l]!) ? r : l;
      if (!less(a[m]!, a[i]!)) return;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  };
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) return;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  };
  for (let i = (a.length >> 1) - 1; i >= 0; i--) down(i);
  return {
    get size() {
      return a.length;
    },
    peek: () => a[0],
    push(item) {
      a.push(item);
      up(a.length - 1);
    },
    pop() {
      if (a.length === 0) return undefined;
      const top = a[0]!;
      const last = a.pop()!;
      if (a.length > 0) {
        a[0] = last;
        down(0);
      }
      return top;
    },
    updateTop() {
      if (a.length > 0) down(0);
    },
  };
}
