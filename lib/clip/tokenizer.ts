/**
 * CLIP's byte-level BPE tokenizer, token for token as open_clip's SimpleTokenizer: text cleaned
 * (text-clean.ts), split by CLIP's pattern, each piece's UTF-8 bytes mapped to printable
 * characters and merged by the BPE ranks of the vocabulary file (bpe_simple_vocab_16e6.txt.gz);
 * `<start_of_text>` + tokens + `<end_of_text>`, zero-padded to the context length, truncated with
 * the last token forced to `<end_of_text>`.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { mergePairs } from './bpe';
import { cleanLower } from './text-clean';

const MERGES = 49152 - 256 - 2;
/** The word cache's bounds: entries, and the longest word kept (in byte characters). */
const MAX_CACHED_WORDS = 100_000;
const MAX_CACHED_CHARS = 64;
const PATTERN = /<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/**
 * The 256 bytes -> printable characters map of GPT-2 / CLIP: `byChar[b]` for byte b, and `ordered`,
 * the characters in the order the vocabulary lists them (printable bytes first).
 */
function byteEncoder(): { byByte: string[]; ordered: string[] } {
  const bs: number[] = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const byByte: string[] = new Array(256);
  bs.forEach((b, i) => (byByte[b] = String.fromCodePoint(cs[i])));
  return { byByte, ordered: cs.map((c) => String.fromCodePoint(c)) };
}

/** An open-addressing hash table from a pair of token ids to a rank (a Map of pairs hashes slower). */
class PairTable {
  readonly #left: Int32Array;
  readonly #right: Int32Array;
  readonly #value: Int32Array;
  readonly #mask: number;

  constructor(capacity: number) {
    let size = 1;
    while (size < 2 * capacity) size *= 2;
    this.#left = new Int32Array(size).fill(-1);
    this.#right = new Int32Array(size);
    this.#value = new Int32Array(size);
    this.#mask = size - 1;
  }

  #slot(a: number, b: number): number {
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) & this.#mask;
    while (this.#left[i] !== -1 && (this.#left[i] !== a || this.#right[i] !== b)) i = (i + 1) & this.#mask;
    return i;
  }

  set(a: number, b: number, value: number): void {
    const i = this.#slot(a, b);
    this.#left[i] = a;
    this.#right[i] = b;
    this.#value[i] = value;
  }

  get(a: number, b: number): number | undefined {
    const i = this.#slot(a, b);
    return this.#left[i] === -1 ? undefined : this.#value[i];
  }
}

export class ClipTokenizer {
  readonly contextLength: number;
  readonly sot: number;
  readonly eot: number;
  readonly #encoder = new Map<string, number>();
  /** Merge rank by pair of token ids, and the id each merge makes. */
  readonly #ranks: PairTable;
  readonly #merged: Int32Array;
  readonly #bytes = byteEncoder().byByte;
  /** Token ids by word (byte characters). */
  readonly #cache = new Map<string, number[]>();
  readonly #utf8 = new TextEncoder();

  /** `vocabFile`: CLIP's bpe_simple_vocab_16e6.txt.gz (or the same text, uncompressed). */
  constructor(vocabFile: string, contextLength = 77) {
    const raw = readFileSync(vocabFile);
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
    const merges = text.split('\n').slice(1, MERGES + 1).map((line) => line.split(/\s+/).filter(Boolean));
    const { ordered } = byteEncoder();
    const vocab = [...ordered, ...ordered.map((c) => `${c}</w>`), ...merges.map((m) => m.join('')), '<start_of_text>', '<end_of_text>'];
    vocab.forEach((token, id) => this.#encoder.set(token, id));
    const id = (token: string) => this.#encoder.get(token) ?? -1;
    this.#merged = new Int32Array(merges.length);
    this.#ranks = new PairTable(merges.length);
    merges.forEach((m, rank) => {
      this.#ranks.set(id(m[0]), id(m[1]), rank); // a pair listed twice keeps its last rank, as open_clip's dict does
      this.#merged[rank] = id(m.join(''));
    });
    this.sot = this.#encoder.get('<start_of_text>')!;
    this.eot = this.#encoder.get('<end_of_text>')!;
    this.contextLength = contextLength;
    for (const special of ['<start_of_text>', '<end_of_text>']) this.#cache.set(special, [this.#encoder.get(special)!]);
  }

  /**
   * Token ids of `text`, without start/end tokens; at most `limit` of them (tokenizing stops there:
   * words are merged independently, so the first ids do not depend on what follows).
   */
  encode(text: string, limit = Infinity): number[] {
    const ids: number[] = [];
    for (const match of cleanLower(text).matchAll(PATTERN)) {
      const piece = Array.from(this.#utf8.encode(match[0]), (b) => this.#bytes[b]).join('');
      for (const token of this.#bpe(piece)) {
        if (ids.length >= limit) return ids;
        ids.push(token);
      }
    }
    return ids;
  }

  /**
   * `texts` as contextLength token ids each (row-major), as open_clip's tokenizer returns them. Only
   * the tokens that fit are computed, and merging is O(n log n) in a word's length (bpe.ts), so the
   * work per text is bounded by its length.
   */
  tokenize(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length * this.contextLength);
    texts.forEach((text, row) => this.#row(text, out, row));
    return out;
  }

  /**
   * tokenize(), giving the event loop a turn whenever a slice of texts has taken `sliceMs` (after
   * every text with 0): a request of many long prompts (~0.5 ms each for a 1000-letter word here)
   * does not hold the thread for its whole length. `check` runs after each turn and may throw to stop.
   */
  async tokenizeSliced(texts: readonly string[], sliceMs = 2, check?: () => void): Promise<Int32Array> {
    const out = new Int32Array(texts.length * this.contextLength);
    let sliceStart = performance.now();
    for (let row = 0; row < texts.length; row++) {
      if (row > 0 && performance.now() - sliceStart >= sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        check?.();
        sliceStart = performance.now();
      }
      this.#row(texts[row], out, row);
    }
    return out;
  }

  /** One text's row: `<start_of_text>`, its tokens, `<end_of_text>`, truncated with the end token kept. */
  #row(text: string, out: Int32Array, row: number): void {
    const tokens = [this.sot, ...this.encode(text, this.contextLength - 1), this.eot];
    if (tokens.length > this.contextLength) {
      tokens.length = this.contextLength;
      tokens[this.contextLength - 1] = this.eot;
    }
    out.set(tokens, row * this.contextLength);
  }

  /** The token ids of one word (its UTF-8 bytes as characters). */
  #bpe(token: string): number[] {
    const cached = this.#cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    chars[chars.length - 1] += '</w>';
    const word = mergePairs(
      chars.map((c) => this.#encoder.get(c)!),
      (a, b) => this.#ranks.get(a, b),
      (rank) => this.#merged[rank],
    );
    // the cache holds words of prose (bounded in entries and length), not whatever a client sends
    if (token.length <= MAX_CACHED_CHARS) {
      if (this.#cache.size >= MAX_CACHED_WORDS) this.#cache.clear();
      this.#cache.set(token, word);
    }
    return word;
  }
}
