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
 * What kind of failure an AaclipError is, for a program that handles it (an HTTP service maps it
 * to a status with AACLIP_ERROR_HTTP_STATUS):
 * - `bad-input`: the input (a file, a field, a flag, an argument) is malformed or out of range → 400.
 * - `unsupported`: the input is well formed but asks for something this version does not do (a
 *   legacy file format, an option value not implemented, a device a backend does not offer) → 422.
 * - `not-found`: a named thing is not there (a file, a tensor, a backend, a class) → 404.
 * - `too-large`: the input is past a size limit (bytes, pixels, tokens, elements) → 413.
 * - `unavailable`: the input is fine but the machine cannot run it now (no backend or device
 *   starts) → 503.
 * - `internal`: a fault in aaclip or in how it is called (a TypeError, a ReferenceError) → 500.
 */
export type AaclipErrorCode = 'bad-input' | 'unsupported' | 'not-found' | 'too-large' | 'unavailable' | 'internal';

/** Every AaclipErrorCode, in the order of the list above. */
export const AACLIP_ERROR_CODES: readonly AaclipErrorCode[] = ['bad-input', 'unsupported', 'not-found', 'too-large', 'unavailable', 'internal'];

/** The HTTP status an HTTP service answers each code with: 4xx for the caller's input, 5xx for the server. */
export const AACLIP_ERROR_HTTP_STATUS: Readonly<Record<AaclipErrorCode, number>> = {
  'bad-input': 400,
  unsupported: 422,
  'not-found': 404,
  'too-large': 413,
  unavailable: 503,
  internal: 500,
};

/** The options of `new AaclipError(problem, source, options)`: ES2022's `cause`, and a `code`. */
export interface AaclipErrorOptions extends ErrorOptions {
  /** What kind of failure this is; omitted → 'bad-input'. */
  readonly code?: AaclipErrorCode;
}

// A registered symbol, the same in every copy of @aaclip/core that one program loads, so that an
// AaclipError made by one copy is an AaclipError to another (instanceof, isAaclipError).
const AACLIP_ERROR_BRAND: unique symbol = Symbol.for('@aaclip/core:AaclipError');

/**
 * The one error type the packages throw for bad input. `source` names the file (or flag, or
 * field) at fault, so the message a user sees is always "<source>: <problem>" on one line:
 * control characters in either part are escaped (a file name holding a newline stays on its
 * line) and each part is bounded (MAX_ERROR_SOURCE_LENGTH, MAX_ERROR_PROBLEM_LENGTH), so
 * `problem` and `source` hold what is shown, and `message === source + ': ' + problem`.
 * `code` says what kind of failure it is (see AaclipErrorCode); `cause` keeps the error it came
 * from, if any. `instanceof AaclipError` holds for an AaclipError of any copy of @aaclip/core.
 */
export class AaclipError extends Error {
  override readonly name = 'AaclipError';
  readonly problem: string;
  readonly source?: string;
  readonly code: AaclipErrorCode;
  constructor(problem: string, source?: string, options: AaclipErrorOptions = {}) {
    const shownProblem = oneLineText(problem, MAX_ERROR_PROBLEM_LENGTH);
    const shownSource = source ? oneLineText(source, MAX_ERROR_SOURCE_LENGTH) : undefined;
    super(shownSource ? `${shownSource}: ${shownProblem}` : shownProblem, 'cause' in options ? { cause: options.cause } : undefined);
    this.problem = shownProblem;
    if (shownSource) this.source = shownSource;
    this.code = options.code ?? 'bad-input';
  }

  /** True for an AaclipError of this or any other copy of @aaclip/core (they share one brand). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass keeps the ordinary prototype check.
    if (this !== AaclipError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isAaclipError(value);
  }
}

// On the prototype, out of the class's public type: every AaclipError of this copy carries it.
Object.defineProperty(AaclipError.prototype, AACLIP_ERROR_BRAND, { value: true });

/** Whether `value` is an AaclipError, made by this or any other copy of @aaclip/core. */
export function isAaclipError(value: unknown): value is AaclipError {
  return typeof value === 'object' && value !== null && (value as { [AACLIP_ERROR_BRAND]?: unknown })[AACLIP_ERROR_BRAND] === true;
}

/** Re-throws any error as an AaclipError naming `source`, keeping an existing AaclipError's source. */
export function withSource<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asAaclipError(err, source);
  }
}

// Errors that only a fault in the code raises: reading a property of undefined, calling a
// non-function, a name that is not defined. (A SyntaxError is JSON.parse refusing text — input;
// a RangeError is most often a size read from input — input too.)
const PROGRAMMING_FAULTS = new Set(['TypeError', 'ReferenceError', 'EvalError']);

// Node's file-system error codes that say something about the input (a path) rather than the machine.
const NOT_FOUND_SYSTEM_CODES = new Set(['ENOENT', 'ENOTDIR']);
const TOO_LARGE_SYSTEM_CODES = new Set(['EFBIG', 'ERR_FS_FILE_TOO_LARGE']);

/** The code of an AaclipError made from another error. */
function codeOfForeignError(err: unknown): AaclipErrorCode {
  if (!(err instanceof Error)) return 'bad-input';
  const systemCode = (err as { code?: unknown }).code;
  if (typeof systemCode === 'string') {
    if (NOT_FOUND_SYSTEM_CODES.has(systemCode)) return 'not-found';
    if (TOO_LARGE_SYSTEM_CODES.has(systemCode)) return 'too-large';
  }
  return PROGRAMMING_FAULTS.has(err.name) ? 'internal' : 'bad-input';
}

/**
 * Any error as an AaclipError naming `source` (an AaclipError that names one is kept; one that
 * does not is made again with `source`, its code and cause kept). Another error becomes the
 * `cause` of the AaclipError, whose code is 'internal' for a programming fault (TypeError,
 * ReferenceError, EvalError), 'not-found' for a missing file (ENOENT, ENOTDIR), 'too-large' for a
 * file past a size limit (EFBIG, ERR_FS_FILE_TOO_LARGE) and 'bad-input' otherwise. Its whole
 * message is kept, line breaks escaped: Node's own messages quote the path, and a path holding a
 * newline must not cut the message short.
 */
export function asAaclipError(err: unknown, source: string): AaclipError {
  if (isAaclipError(err)) {
    if (err.source) return err;
    return new AaclipError(err.problem, source, 'cause' in err ? { code: err.code, cause: err.cause } : { code: err.code });
  }
  const problem = err instanceof Error ? err.message : String(err);
  return new AaclipError(problem, source, { code: codeOfForeignError(err), cause: err });
}
