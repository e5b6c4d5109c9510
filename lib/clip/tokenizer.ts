/**
 * CLIP's byte-level BPE tokenizer, token for token as open_clip's SimpleTokenizer: text cleaned
 * (text-clean.ts), split by CLIP's pattern, each piece's UTF-8 bytes mapped to printable
 * characters and merged by the BPE ranks of the vocabulary file (bpe_simple_vocab_16e6.txt.gz);
 * `<start_of_text>` + tokens + `<end_of_text>`, zero-padded to the context length, truncated with
 * the last token forced to `<end_of_text>`.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { cleanLower } from './text-clean';

const MERGES = 49152 - 256 - 2;
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

export class ClipTokenizer {
  readonly contextLength: number;
  readonly sot: number;
  readonly eot: number;
  readonly #encoder = new Map<string, number>();
  readonly #ranks = new Map<string, number>();
  readonly #bytes = byteEncoder().byByte;
  readonly #cache = new Map<string, string[]>();
  readonly #utf8 = new TextEncoder();

  /** `vocabFile`: CLIP's bpe_simple_vocab_16e6.txt.gz (or the same text, uncompressed). */
  constructor(vocabFile: string, contextLength = 77) {
    const raw = readFileSync(vocabFile);
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
    const merges = text.split('\n').slice(1, MERGES + 1).map((line) => line.split(/\s+/).filter(Boolean));
    const { ordered } = byteEncoder();
    const vocab = [...ordered, ...ordered.map((c) => `${c}</w>`), ...merges.map((m) => m.join('')), '<start_of_text>', '<end_of_text>'];
    vocab.forEach((token, id) => this.#encoder.set(token, id));
    merges.forEach((m, rank) => this.#ranks.set(`${m[0]} ${m[1]}`, rank));
    this.sot = this.#encoder.get('<start_of_text>')!;
    this.eot = this.#encoder.get('<end_of_text>')!;
    this.contextLength = contextLength;
    for (const special of ['<start_of_text>', '<end_of_text>']) this.#cache.set(special, [special]);
  }

  /** Token ids of `text`, without start/end tokens. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const match of cleanLower(text).matchAll(PATTERN)) {
      const piece = Array.from(this.#utf8.encode(match[0]), (b) => this.#bytes[b]).join('');
      for (const token of this.#bpe(piece)) ids.push(this.#encoder.get(token)!);
    }
    return ids;
  }

  /** `texts` as contextLength token ids each (row-major), as open_clip's tokenizer returns them. */
  tokenize(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length * this.contextLength);
    texts.forEach((text, row) => {
      const tokens = [this.sot, ...this.encode(text), this.eot];
      if (tokens.length > this.contextLength) {
        tokens.length = this.contextLength;
        tokens[this.contextLength - 1] = this.eot;
      }
      out.set(tokens, row * this.contextLength);
    });
    return out;
  }

  #bpe(token: string): string[] {
    const cached = this.#cache.get(token);
    if (cached) return cached;
    const chars = Array.from(token);
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.#ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const [first, second] = [word[best], word[best + 1]];
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else {
          next.push(word[i]);
          i += 1;
        }
      }
      word = next;
    }
    if (this.#cache.size > 100_000) this.#cache.clear();
    this.#cache.set(token, word);
    return word;
  }
}
