/**
 * Byte-pair merging of one word in O(n log n), with exactly the result of open_clip's
 * `SimpleTokenizer.bpe` loop (which rescans the whole word once per merge: O(n²), seconds for a
 * 1000-letter word). Each round takes the lowest-ranked adjacent pair present and merges every
 * occurrence of it left to right, as that loop does; only then do the pairs the round formed take
 * part, so even merges whose rank is below the round's (a token made a second way) come in the
 * same order.
 */

/** Heap keys: rank * 2^32 + left position, so that ties in rank go left to right. */
const SHIFT = 2 ** 32;

/**
 * Merges adjacent symbols (token ids) by `rank` (lower first; undefined: never merged); `merged(k)`
 * is the id of the token that the merge of rank k makes.
 */
export function mergePairs(symbols: readonly number[], rank: (left: number, right: number) => number | undefined, merged: (rank: number) => number): number[] {
  const n = symbols.length;
  const sym = symbols.slice();
  if (n < 2) return sym;
  const next = new Int32Array(n); // n: none
  const prev = new Int32Array(n); // -1: none
  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  const heap = new MinHeap();
  let formed: number[] = []; // pairs formed in the current round: they join when it ends
  const offer = (l: number) => {
    const k = rank(sym[l], sym[next[l]]);
    if (k !== undefined) formed.push(k * SHIFT + l);
  };
  const flush = () => {
    for (const key of formed) heap.push(key);
    formed = [];
  };
  for (let i = 0; i + 1 < n; i++) offer(i);
  flush();
  while (heap.size > 0) {
    const round = Math.floor(heap.peek() / SHIFT);
    while (heap.size > 0 && Math.floor(heap.peek() / SHIFT) === round) {
      const l = heap.pop() % SHIFT;
      // an entry is current when the pair now at l is still the one of that rank (ranks are unique per
      // pair); a merged-away l has next = -1
      const r = next[l];
      if (r < 0 || r >= n || rank(sym[l], sym[r]) !== round) continue;
      sym[l] = merged(round);
      next[l] = next[r];
      next[r] = -1;
      if (next[l] < n) prev[next[l]] = l;
      if (prev[l] >= 0) offer(prev[l]);
      if (next[l] < n) offer(l);
    }
    flush(); // the pairs this round formed, whatever their rank, take part from the next round on
  }
  const out: number[] = [];
  for (let i = 0; i < n; i = next[i]) out.push(sym[i]);
  return out;
}

/** A binary min-heap of numbers. */
class MinHeap {
  readonly #items: number[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): number {
    return this.#items[0];
  }

  push(value: number): void {
    const items = this.#items;
    let i = items.length;
    items.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent] <= value) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.#items;
    const top = items[0];
    const last = items.pop()!;
    const n = items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const a = 2 * i + 1;
      if (a >= n) break;
      const b = a + 1;
      const m = b < n && items[b] < items[a] ? b : a;
      if (items[m] >= last) break;
      items[i] = items[m];
      i = m;
    }
    items[i] = last;
    return top;
  }
}
