// CLIP's tokenizer (issue 7, first part): token for token the same as open_clip's SimpleTokenizer
// on a few thousand strings — ASCII, accents (composed and decomposed), emoji, CJK, fullwidth forms,
// curly quotes, HTML entities, punctuation, whitespace of every kind, and texts past 77 tokens.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
