/**
 * The text clean-up in front of CLIP's tokenizer, as open_clip does it (`_clean_lower`):
 * ftfy.fix_text with its default settings for the parts that apply to normal text, HTML entities
 * decoded (twice, as open_clip does), whitespace collapsed, lower-cased.
 *
 * Of ftfy, implemented: terminal escapes removed, C1 controls read as Windows-1252, Latin ligatures
 * split, halfwidth/fullwidth forms and U+3000 to standard width, curly quotes straightened, line
 * breaks unified, control characters removed, NFC. Not implemented: ftfy's mojibake repair
 * (fix_encoding and its helpers), which only changes text that was decoded with the wrong encoding.
 * HTML entities: numeric references and the common named ones (amp, lt, gt, quot, apos, nbsp, ...).
 */

const LIGATURES: Record<string, string> = {
  '\u0132': 'IJ', '\u0133': 'ij', '\u0149': 'ʼn', '\u01F1': 'DZ', '\u01F2': 'Dz', '\u01F3': 'dz', '\u01C4': 'DŽ', '\u01C5': 'Dž',
  '\u01C6': 'dž', '\u01C7': 'LJ', '\u01C8': 'Lj', '\u01C9': 'lj', '\u01CA': 'NJ', '\u01CB': 'Nj', '\u01CC': 'nj', '\uFB00': 'ff',
  '\uFB01': 'fi', '\uFB02': 'fl', '\uFB03': 'ffi', '\uFB04': 'ffl', '\uFB05': 'ſt', '\uFB06': 'st',
};

// Windows-1252 for the C1 range (0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined there and stay).
const CP1252 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

// Python's str.isspace() set, used by str.split().
const PY_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/gu;

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', reg: '®', hellip: '…', mdash: '—', ndash: '–',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', euro: '€', trade: '™', deg: '°', times: '×', middot: '·', laquo: '«', raquo: '»',
  AMP: '&', LT: '<', GT: '>', QUOT: '"', COPY: '©', REG: '®', TRADE: '™',
};
// Names Python's html.unescape also accepts without the semicolon (a subset of the HTML5 legacy list).
const LEGACY = new Set(['amp', 'lt', 'gt', 'quot', 'nbsp', 'copy', 'reg', 'deg', 'times', 'middot', 'laquo', 'raquo', 'AMP', 'LT', 'GT', 'QUOT', 'COPY', 'REG']);

function charRef(num: number): string {
  if (num === 0 || (num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\uFFFD';
  if (num >= 0x80 && num <= 0x9f) return CP1252[num - 0x80];
  return String.fromCodePoint(num);
}

/** Python's html.unescape, for numeric references and the named entities above. */
export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      return charRef(parseInt(ref.slice(hex ? 2 : 1).replace(';', ''), hex ? 16 : 10));
    }
    const name = ref.endsWith(';') ? ref.slice(0, -1) : ref;
    if (ref.endsWith(';') && name in NAMED) return NAMED[name];
    // without a semicolon: the longest legacy name at the start, the rest kept
    for (let k = name.length; k > 0; k--) {
      const prefix = name.slice(0, k);
      if (LEGACY.has(prefix)) return NAMED[prefix] + ref.slice(k);
    }
    return whole;
  });
}

/** The parts of ftfy.fix_text (default settings) listed above. */
export function fixText(input: string): string {
  let text = input;
  for (let pass = 0; pass < 3; pass++) {
    const before = text;
    if (!text.includes('<')) text = htmlUnescape(text); // ftfy's unescape_html='auto'
    text = text.replace(/\x1b\[((?:\d|;)*)([a-zA-Z])/g, '');
    text = text.replace(/[\x80-\x9f]/g, (c) => CP1252[c.charCodeAt(0) - 0x80]);
    text = text.replace(/[\u0132\u0133\u0149\u01C4-\u01CC\u01F1-\u01F3\uFB00-\uFB06]/g, (c) => LIGATURES[c] ?? c);
    text = text.replace(/[\u3000\uFF01-\uFFEF]/g, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
    text = text.replace(/[“-‟]/g, '"').replace(/[ʼ‘-‛]/g, "'");
    text = text.replace(/\r\n/g, '\n').replace(/[\r\u2028\u2029\u0085]/g, '\n');
    text = text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, '');
    text = text.normalize('NFC');
    if (text === before) break;
  }
  return text;
}

/** open_clip's `_clean_lower`: whitespace_clean(basic_clean(text)).lower(). */
export function cleanLower(text: string): string {
  const basic = htmlUnescape(htmlUnescape(fixText(text))).trim();
  return basic.split(PY_SPACE).filter(Boolean).join(' ').trim().toLowerCase();
}
