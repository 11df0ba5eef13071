// A small decoder with the semantics of Python's html.unescape, which the reference tokenizer runs
// (twice) on every text: numeric references with the HTML5 replacements, and the common named
// entities. Names outside the table below are left as written.

// Numeric references the HTML5 spec replaces (NUL, CR and the Windows-1252 range 0x80–0x9f).
const NUMERIC_REPLACEMENTS: ReadonlyMap<number, string> = new Map([
  [0x00, '\ufffd'], [0x0d, '\r'], [0x80, '\u20ac'], [0x81, '\x81'], [0x82, '\u201a'], [0x83, '\u0192'],
  [0x84, '\u201e'], [0x85, '\u2026'], [0x86, '\u2020'], [0x87, '\u2021'], [0x88, '\u02c6'], [0x89, '\u2030'],
  [0x8a, '\u0160'], [0x8b, '\u2039'], [0x8c, '\u0152'], [0x8d, '\x8d'], [0x8e, '\u017d'], [0x8f, '\x8f'],
  [0x90, '\x90'], [0x91, '\u2018'], [0x92, '\u2019'], [0x93, '\u201c'], [0x94, '\u201d'], [0x95, '\u2022'],
  [0x96, '\u2013'], [0x97, '\u2014'], [0x98, '\u02dc'], [0x99, '\u2122'], [0x9a, '\u0161'], [0x9b, '\u203a'],
  [0x9c, '\u0153'], [0x9d, '\x9d'], [0x9e, '\u017e'], [0x9f, '\u0178'],
]);

/** Code points a numeric reference may not produce; Python drops them. */
function isDroppedCodePoint(cp: number): boolean {
  return (
    (cp >= 0x01 && cp <= 0x08) ||
    cp === 0x0b ||
    (cp >= 0x0e && cp <= 0x1f) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    (cp & 0xfffe) === 0xfffe // U+FFFE, U+FFFF and their counterparts in every plane
  );
}

// Latin-1 entity names for U+00A0…U+00FF in order; HTML accepts these without the trailing ';'.
const LATIN1_NAMES = (
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 ' +
  'acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml ' +
  'Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde ' +
  'Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ' +
  'ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide ' +
  'oslash ugrave uacute ucirc uuml yacute thorn yuml'
).split(' ');

/** Named entities that HTML also accepts without ';' (the legacy ones). */
const LEGACY_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['amp', '&'], ['AMP', '&'], ['lt', '<'], ['LT', '<'], ['gt', '>'], ['GT', '>'], ['quot', '"'], ['QUOT', '"'],
  ['COPY', '\u00a9'], ['REG', '\u00ae'],
  ...LATIN1_NAMES.map((name, i): [string, string] => [name, String.fromCharCode(0xa0 + i)]),
]);

/** Named entities that need the ';'. */
const SEMICOLON_ENTITIES: ReadonlyMap<string, string> = new Map([
  ['apos', "'"], ['ndash', '\u2013'], ['mdash', '\u2014'], ['lsquo', '\u2018'], ['rsquo', '\u2019'],
  ['sbquo', '\u201a'], ['ldquo', '\u201c'], ['rdquo', '\u201d'], ['bdquo', '\u201e'], ['hellip', '\u2026'],
  ['bull', '\u2022'], ['dagger', '\u2020'], ['Dagger', '\u2021'], ['permil', '\u2030'], ['lsaquo', '\u2039'],
  ['rsaquo', '\u203a'], ['euro', '\u20ac'], ['trade', '\u2122'], ['larr', '\u2190'], ['rarr', '\u2192'],
  ['uarr', '\u2191'], ['darr', '\u2193'], ['harr', '\u2194'], ['minus', '\u2212'], ['le', '\u2264'],
  ['ge', '\u2265'], ['ne', '\u2260'], ['asymp', '\u2248'], ['infin', '\u221e'], ['deg', '\u00b0'],
  ['alpha', '\u03b1'], ['beta', '\u03b2'], ['gamma', '\u03b3'], ['delta', '\u03b4'], ['mu', '\u03bc'],
  ['pi', '\u03c0'], ['sigma', '\u03c3'], ['Omega', '\u03a9'], ['ensp', '\u2002'], ['emsp', '\u2003'],
  ['thinsp', '\u2009'], ['zwnj', '\u200c'], ['zwj', '\u200d'], ['lrm', '\u200e'], ['rlm', '\u200f'],
  ['tab', '\t'], ['NewLine', '\n'], ['excl', '!'], ['num', '#'], ['dollar', '$'], ['percnt', '%'],
  ['lpar', '('], ['rpar', ')'], ['ast', '*'], ['plus', '+'], ['comma', ','], ['period', '.'], ['sol', '/'],
  ['colon', ':'], ['semi', ';'], ['equals', '='], ['quest', '?'], ['commat', '@'], ['lsqb', '['],
  ['bsol', '\\'], ['rsqb', ']'], ['lowbar', '_'], ['grave', '`'], ['lcub', '{'], ['verbar', '|'], ['rcub', '}'],
]);

function decodeNumeric(body: string): string {
  const hex = body[1] === 'x' || body[1] === 'X';
  const digits = body.slice(hex ? 2 : 1).replace(/;$/, '');
  const cp = parseInt(digits, hex ? 16 : 10);
  const replacement = NUMERIC_REPLACEMENTS.get(cp);
  if (replacement !== undefined) return replacement;
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return '\ufffd';
  if (isDroppedCodePoint(cp)) return '';
  return String.fromCodePoint(cp);
}

function decodeNamed(body: string): string {
  if (body.endsWith(';')) {
    const name = body.slice(0, -1);
    const value = SEMICOLON_ENTITIES.get(name) ?? LEGACY_ENTITIES.get(name);
    if (value !== undefined) return value;
  } else {
    const value = LEGACY_ENTITIES.get(body);
    if (value !== undefined) return value;
  }
  // As Python: the longest legacy name that starts the text wins ("&notit;" → "¬it;").
  for (let end = body.length - 1; end > 1; end--) {
    const value = LEGACY_ENTITIES.get(body.slice(0, end));
    if (value !== undefined) return value + body.slice(end);
  }
  return `&${body}`;
}

// Python's character-reference pattern (counted in code points): "&#123;", "&#x1F;" (';' optional) or up to 32 name characters.
const REFERENCE = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

/** Replaces HTML character references in `text` (one pass, as Python's html.unescape). */
export function unescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(REFERENCE, (_match, body: string) => (body[0] === '#' ? decodeNumeric(body) : decodeNamed(body)));
}
