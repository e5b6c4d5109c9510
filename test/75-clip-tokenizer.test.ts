// CLIP's tokenizer (issue 7, first part): token for token the same as open_clip's SimpleTokenizer
// on a few thousand strings — ASCII, accents (composed and decomposed), emoji, CJK, fullwidth forms,
// curly quotes, HTML entities, punctuation, whitespace of every kind, texts past 77 tokens, and words of
// up to 1000 letters.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergePairs } from '../lib/clip/bpe';
import { ClipTokenizer } from '../lib/clip/tokenizer';
import { fixtures, python, root } from './helpers';

const clipDir = path.join(fixtures, 'clip');
const vocab = path.join(clipDir, 'bpe_simple_vocab_16e6.txt.gz');

/** A seeded generator of test strings. */
function strings(count: number): string[] {
  let seed = 20261122;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const words = ['a', 'photo', 'of', 'the', 'scratched', 'car', 'door', 'Dog', 'CAT', "don't", "it's", "we're", "they've", "I'm", "you'll", "he'd",
    'running', 'tokenization', 'supercalifragilisticexpialidocious', 'edge', 'classify', 'x-ray', 'e-mail', 'U.S.A.', '3.14159', '42nd', '1,000,000'];
  const accents = ['café', 'cafe\u0301', 'naïve', 'résumé', 'Zürich', 'São Paulo', 'crème brûlée', 'Ångström', 'Ελληνικά', 'ΟΔΟΣ', 'Москва', 'İstanbul', 'straße', 'ǅemal'];
  const emoji = ['🙂', '👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '❤️', '🚗💨', '☕', '🧑🏿‍🚀'];
  const cjk = ['汽车门有划痕', '猫と犬', 'カタカナ', 'ｶﾀｶﾅ', '한국어 문장', '東京タワー', '，。！？', 'ＡＢＣ１２３', '日本語のテキスト'];
  const punctuation = ['!!!', '...', '—', '–', '“quoted”', '‘single’', '«guillemets»', '(parens)', '[brackets]', '{braces}', '#hashtag', '@user', 'a/b\\c', '$5.00', '100%', '&amp;', '&lt;tag&gt;', '&#39;', '&#x27;', '&quot;x&quot;', 'ﬁne ﬂow', '<b>bold</b>'];
  const spaces = [' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u3000', '\u2009', '\u200b', '\ufeff'];
  const out: string[] = ['', ' ', 'a', 'A photo of a cat.', '<start_of_text>', 'hello <end_of_text> world', "it's",
    '\x1b[31mred\x1b[0m text', 'c1\x85x\x96y\x80', 'ctl\x07x\x7f', 'Ĳssel ǅemal', 'ＬＯＵＤ　ＮＯＩＳＥＳ', 'Ｕﾀｰﾝ', 'a\u2028b\u2029c', '&amp;amp;', '&ampx &copy2024 &#0; &#x110000; &#150;',
    'snake_case and CamelCase', "rock'n'roll", 'ʼapostrophe‛', 'zero\u200bwidth', 'tab\tsep\x1cfs\x1dgs'];
  // long words: merging is O(n log n) in bpe.ts (it was O(n²)); every round order must still be open_clip's
  const letters = (n: number, alphabet: string) => Array.from({ length: n }, () => pick([...alphabet])).join('');
  out.push('a'.repeat(1000), 'ab'.repeat(500), 'aab'.repeat(333), 'the'.repeat(300), 'ing'.repeat(200) + 's', '汽'.repeat(400), '🙂'.repeat(200), '1'.repeat(1000));
  for (let k = 0; k < 24; k++) out.push(letters(50 + Math.floor(rand() * 950), k % 3 === 0 ? 'abcdefghijklmnopqrstuvwxyz' : k % 3 === 1 ? 'etaoinshr' : 'ab'));
  for (let k = 0; k < 8; k++) out.push(letters(200 + Math.floor(rand() * 300), '汽车门有划痕猫と犬カタカナ한국어'));
  for (let i = 0; out.length < count; i++) {
    const kind = i % 7;
    const n = kind === 6 ? 60 + Math.floor(rand() * 80) : 1 + Math.floor(rand() * 8);
    const parts: string[] = [];
    for (let k = 0; k < n; k++) {
      const pool = kind === 0 ? words : kind === 1 ? accents : kind === 2 ? emoji : kind === 3 ? cjk : kind === 4 ? punctuation : pick([words, accents, emoji, cjk, punctuation]);
      parts.push(pick(pool));
      parts.push(kind === 5 ? pick(spaces) : ' ');
    }
    let text = parts.join('');
    if (rand() < 0.3) text = text.toUpperCase();
    out.push(text);
  }
  return out;
}

describe('CLIP tokenizer', () => {
  it("matches open_clip's tokenizer token for token on 3000 strings", () => {
    const texts = strings(3000);
    const tokenizer = new ClipTokenizer(vocab);
    const ours = tokenizer.tokenize(texts);
    const theirs = JSON.parse(
      execFileSync(python(), [path.join(root, 'test', 'reference', 'clip_tokenizer.py')], {
        input: JSON.stringify({ tokenizer: path.join(clipDir, 'tokenizer.py'), vocab, texts }),
        encoding: 'utf8',
        maxBuffer: 256 << 20,
      }),
    ) as number[][];
    let mismatches = 0;
    const examples: string[] = [];
    theirs.forEach((row, i) => {
      const mine = Array.from(ours.subarray(i * 77, (i + 1) * 77));
      if (mine.join() !== row.join()) {
        mismatches++;
        if (examples.length < 5) examples.push(`${JSON.stringify(texts[i])}\n  ours:   ${mine.filter(Boolean).join(' ')}\n  theirs: ${row.filter(Boolean).join(' ')}`);
      }
    });
    expect(mismatches, examples.join('\n')).toBe(0);
    // long texts were truncated to 77 with <end_of_text> last
    const long = texts.findIndex((t) => tokenizer.encode(t).length > 80);
    expect(long).toBeGreaterThan(-1);
    expect(ours[long * 77 + 76]).toBe(tokenizer.eot);
    expect(ours[0]).toBe(tokenizer.sot);
  });
});

/** open_clip's merge loop, as written there (O(n²)): the reference for mergePairs. */
function naiveMerge(symbols: number[], rank: (a: number, b: number) => number | undefined, merged: (k: number) => number): number[] {
  let word = symbols.slice();
  while (word.length > 1) {
    let best: number | undefined;
    for (let i = 0; i + 1 < word.length; i++) {
      const k = rank(word[i], word[i + 1]);
      if (k !== undefined && (best === undefined || k < best)) best = k;
    }
    if (best === undefined) break;
    const next: number[] = [];
    for (let i = 0; i < word.length; ) {
      if (i + 1 < word.length && rank(word[i], word[i + 1]) === best) {
        next.push(merged(best));
        i += 2;
      } else next.push(word[i++]);
    }
    word = next;
  }
  return word;
}

describe('BPE merging (bpe.ts)', () => {
  it('gives the merge loop of open_clip exactly, on random vocabularies where tokens are made more than one way', () => {
    // by hand: T (3) is made by a+b (rank 0) and again by c+b (rank 2); T+c (rank 1) sits between. In "c b c b"
    // the loop merges both c+b first (T T); taking T+c as soon as it forms would give (T+c) b instead.
    const hand = new Map([['0,1', 0], ['3,2', 1], ['2,1', 2]]);
    const handRank = (a: number, b: number) => hand.get(`${a},${b}`);
    const handMade = (k: number) => [3, 4, 3][k];
    expect(naiveMerge([2, 1, 2, 1], handRank, handMade)).toEqual([3, 3]);
    expect(mergePairs([2, 1, 2, 1], handRank, handMade)).toEqual([3, 3]);
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let trial = 0; trial < 2000; trial++) {
      // tokens 0..2 are letters; each merge k makes token 3 + k, or (one in three) an earlier merge's token again
      const pairs = new Map<string, number>();
      const made: number[] = [];
      for (let k = 0; k < 30; k++) {
        const a = rand(3 + k);
        const b = rand(3 + k);
        if (pairs.has(`${a},${b}`)) continue;
        pairs.set(`${a},${b}`, k);
        made[k] = k > 0 && rand(3) === 0 ? made[rand(k)] ?? 3 + k : 3 + k;
      }
      const rank = (a: number, b: number) => pairs.get(`${a},${b}`);
      const merged = (k: number) => made[k];
      const word = Array.from({ length: 1 + rand(80) }, () => rand(3));
      expect(mergePairs(word, rank, merged), `trial ${trial}: ${word.join(' ')}`).toEqual(naiveMerge(word, rank, merged));
    }
  });

  it('looks up O(n log n) pairs in the length of a word, not O(n²)', () => {
    // the worst case of the loop: one merge per round, the word growing from the left (symbols 0..n-1;
    // token n + j is symbols 0..j)
    const lookups = (merge: typeof mergePairs, n: number) => {
      let count = 0;
      const prefix = (a: number) => (a === 0 ? 0 : a > n ? a - n : -1);
      const rank = (a: number, b: number) => (count++, prefix(a) >= 0 && b === prefix(a) + 1 ? prefix(a) : undefined);
      const word = merge(Array.from({ length: n }, (_, i) => i), rank, (k) => n + k + 1);
      expect(word).toEqual([2 * n - 1]);
      return count;
    };
    // 4× the letters: ~16× the lookups for the loop, a little over 4× for mergePairs
    expect(lookups(naiveMerge, 2000) / lookups(naiveMerge, 500)).toBeGreaterThan(10); // the measure tells them apart
    expect(lookups(mergePairs, 2000) / lookups(mergePairs, 500)).toBeLessThan(6);
  });

  it('tokenizeSliced: the same rows as tokenize(), giving the event loop a turn between slices and stopping when told', async () => {
    const tokenizer = new ClipTokenizer(vocab);
    const texts = strings(200);
    let turns = 0;
    let counting = true;
    const tick = () => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const sliced = await tokenizer.tokenizeSliced(texts, 0);
    counting = false;
    expect(Array.from(sliced)).toEqual(Array.from(tokenizer.tokenize(texts)));
    expect(turns).toBeGreaterThanOrEqual(texts.length - 1); // one turn after every text with sliceMs 0
    let checks = 0;
    await expect(tokenizer.tokenizeSliced(texts, 0, () => {
      if (++checks === 3) throw new Error('stopped');
    })).rejects.toThrow('stopped');
    expect(checks).toBe(3);
  });
});
