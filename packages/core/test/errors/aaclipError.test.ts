import { describe, expect, it } from 'vitest';
import {
  AaclipError,
  MAX_ERROR_PROBLEM_LENGTH,
  MAX_ERROR_SOURCE_LENGTH,
  asAaclipError,
  escapeControlCharacters,
  oneLineText,
} from '../../src/errors/aaclipError.js';

describe('AaclipError', () => {
  it('is "<source>: <problem>", or the problem alone', () => {
    const err = new AaclipError('is not a safetensors file', 'model.bin');
    expect(err.message).toBe('model.bin: is not a safetensors file');
    expect(err.source).toBe('model.bin');
    expect(err.problem).toBe('is not a safetensors file');
    expect(new AaclipError('no source').message).toBe('no source');
    expect(new AaclipError('no source').source).toBeUndefined();
  });

  it('keeps a file name holding a newline on one line, the newline escaped', () => {
    const err = new AaclipError('header length 99 is past the end of the file', 'models/evil\nname.safetensors');
    expect(err.message).toBe('models/evil\\nname.safetensors: header length 99 is past the end of the file');
    expect(err.message).not.toMatch(/[\n\r]/);
    expect(err.message).toBe(`${err.source}: ${err.problem}`);
  });

  it('escapes every C0/C1 control, DEL, the line separators and bidi overrides in both parts', () => {
    const err = new AaclipError('a\r\tb\u0000c\u001bd\u007fe\u0085f\u2028g\u2029h\u202ei', 'x\u0007y');
    expect(err.source).toBe('x\\x07y');
    expect(err.problem).toBe('a\\r\\tb\\x00c\\x1bd\\x7fe\\x85f\\u2028g\\u2029h\\u202ei');
    // Printable text, non-ASCII letters, emoji and backslashes (Windows paths) are left as they are.
    expect(escapeControlCharacters('C:\\données\\😀.png')).toBe('C:\\données\\😀.png');
  });

  it('cuts a long source and a long problem in the middle, keeping both ends', () => {
    const source = `${'d/'.repeat(1000)}image.png`;
    const problem = `tensor "${'w'.repeat(5000)}" has shape [3], the config needs [4]`;
    const err = new AaclipError(problem, source);
    expect(err.source!.length).toBeLessThanOrEqual(MAX_ERROR_SOURCE_LENGTH);
    expect(err.problem.length).toBeLessThanOrEqual(MAX_ERROR_PROBLEM_LENGTH);
    expect(err.source).toMatch(/^d\/d\/.*….*image\.png$/);
    expect(err.problem).toMatch(/^tensor "www.*….*www" has shape \[3\], the config needs \[4\]$/);
    expect(err.message).toBe(`${err.source}: ${err.problem}`);
  });

  it('bounds escaped text too (escapes count towards the length) and never splits a surrogate pair', () => {
    const cut = oneLineText('\n'.repeat(1000), 21);
    expect(cut).toBe(`${'\\n'.repeat(5)}…${'\\n'.repeat(5)}`);
    const emoji = oneLineText('😀'.repeat(100), 20);
    expect(emoji.length).toBeLessThanOrEqual(20);
    expect(emoji).toBe(`${'😀'.repeat(5)}…${'😀'.repeat(4)}`);
    expect(oneLineText('fits', 4)).toBe('fits');
  });

  it('takes time proportional to the bound, not to the text', () => {
    const huge = 'x\n'.repeat(20_000_000);
    expect(huge.charCodeAt(huge.length - 1)).toBe(10); // V8 builds the string lazily; materialise it first
    const start = performance.now();
    const err = new AaclipError(huge, huge);
    expect(performance.now() - start).toBeLessThan(50);
    expect(err.message.length).toBeLessThanOrEqual(MAX_ERROR_SOURCE_LENGTH + 2 + MAX_ERROR_PROBLEM_LENGTH);
  });

  it('is idempotent when re-wrapped, and keeps the whole of another error\'s message on one line', () => {
    const inner = new AaclipError('bad\nthing');
    const outer = asAaclipError(inner, 'a\nb.json');
    expect(outer.message).toBe('a\\nb.json: bad\\nthing');
    expect(asAaclipError(outer, 'other')).toBe(outer);
    const fsError = new Error("ENOENT: no such file or directory, open 'model\ndir/weights.safetensors'");
    expect(asAaclipError(fsError, '--weights').message).toBe(
      "--weights: ENOENT: no such file or directory, open 'model\\ndir/weights.safetensors'",
    );
  });
});
