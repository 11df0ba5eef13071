/** A source (file name, flag, field) longer than this is cut in the middle with "…". */
export const MAX_ERROR_SOURCE_LENGTH = 200;
/** A problem longer than this is cut in the middle with "…" (its start and its end both stay). */
export const MAX_ERROR_PROBLEM_LENGTH = 600;

// Characters that would break a line or reorder what a terminal shows: C0 controls, DEL, C1
// controls, the Unicode line/paragraph separators and the bidirectional overrides/isolates.
// A backslash is left as it is (Windows paths), so this is for reading, not for reversing.
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function isControl(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x200e && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/** One code point as it is shown: itself, or an escape (\n, \x1b, \u2028). */
function shownCodePoint(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (!isControl(code)) return ch;
  const named = NAMED_ESCAPES[ch];
  if (named) return named;
  const hex = code.toString(16);
  return code <= 0xff ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
}

/** `text` with every control character escaped, so it shows on one line. */
export function escapeControlCharacters(text: string): string {
  let out = '';
  for (const ch of text) out += shownCodePoint(ch);
  return out;
}

/** Length in UTF-16 units of the code point that ends just before `end`. */
function codePointLengthBefore(text: string, end: number): number {
  const low = text.charCodeAt(end - 1);
  const high = end >= 2 ? text.charCodeAt(end - 2) : 0;
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? 2 : 1;
}

/**
 * `text` escaped (see escapeControlCharacters) and at most `maxLength` characters: a longer one
 * keeps its start and its end around a "…". Work is proportional to `maxLength`, not to `text`.
 */
export function oneLineText(text: string, maxLength: number): string {
  if (text.length <= maxLength) {
    const escaped = escapeControlCharacters(text);
    if (escaped.length <= maxLength) return escaped;
  }
  const headBudget = Math.ceil((maxLength - 1) / 2);
  const tailBudget = maxLength - 1 - headBudget;
  let head = '';
  let i = 0;
  while (i < text.length) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    const shown = shownCodePoint(ch);
    if (head.length + shown.length > headBudget) break;
    head += shown;
    i += ch.length;
  }
  const tailParts: string[] = [];
  let tailLength = 0;
  let j = text.length;
  while (j > i) {
    const size = codePointLengthBefore(text, j);
    const shown = shownCodePoint(text.slice(j - size, j));
    if (tailLength + shown.length > tailBudget) break;
    tailParts.push(shown);
    tailLength += shown.length;
    j -= size;
  }
  const tail = tailParts.reverse().join('');
  return j <= i ? head + tail : `${head}…${tail}`;
}

/**
 * The one error type the packages throw for bad input. `source` names the file (or flag, or
 * field) at fault, so the message a user sees is always "<source>: <problem>" on one line:
 * control characters in either part are escaped (a file name holding a newline stays on its
 * line) and each part is bounded (MAX_ERROR_SOURCE_LENGTH, MAX_ERROR_PROBLEM_LENGTH), so
 * `problem` and `source` hold what is shown, and `message === source + ': ' + problem`.
 */
export class AaclipError extends Error {
  override readonly name = 'AaclipError';
  readonly problem: string;
  readonly source?: string;
  constructor(problem: string, source?: string) {
    const shownProblem = oneLineText(problem, MAX_ERROR_PROBLEM_LENGTH);
    const shownSource = source ? oneLineText(source, MAX_ERROR_SOURCE_LENGTH) : undefined;
    super(shownSource ? `${shownSource}: ${shownProblem}` : shownProblem);
    this.problem = shownProblem;
    if (shownSource) this.source = shownSource;
  }
}

/** Re-throws any error as an AaclipError naming `source`, keeping an existing AaclipError's source. */
export function withSource<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asAaclipError(err, source);
  }
}

/**
 * Any error as an AaclipError naming `source` (an AaclipError that names one is kept). Another
 * error's whole message is kept, its line breaks escaped: Node's own messages quote the path, and
 * a path holding a newline must not cut the message short.
 */
export function asAaclipError(err: unknown, source: string): AaclipError {
  if (err instanceof AaclipError) return err.source ? err : new AaclipError(err.problem, source);
  const problem = err instanceof Error ? err.message : String(err);
  return new AaclipError(problem, source);
}
