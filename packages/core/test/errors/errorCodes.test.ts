import { describe, expect, it } from 'vitest';
import {
  AACLIP_ERROR_CODES,
  AACLIP_ERROR_HTTP_STATUS,
  AaclipError,
  asAaclipError,
  isAaclipError,
  withSource,
} from '../../src/errors/aaclipError.js';

/** An error as Node's fs makes it: an Error with a string `code`. */
function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('AaclipError codes and causes', () => {
  it("is 'bad-input' unless told otherwise, and keeps the code and cause it is given", () => {
    expect(new AaclipError('bad', 'x.json').code).toBe('bad-input');
    const cause = new Error('inner');
    const err = new AaclipError('legacy format', 'model.bin', { code: 'unsupported', cause });
    expect(err.code).toBe('unsupported');
    expect(err.cause).toBe(cause);
    expect(err.message).toBe('model.bin: legacy format');
    expect('cause' in new AaclipError('no cause')).toBe(false);
  });

  it('maps every code to a 4xx status for the caller\'s input and a 5xx one for the server', () => {
    expect(Object.keys(AACLIP_ERROR_HTTP_STATUS).sort()).toEqual([...AACLIP_ERROR_CODES].sort());
    for (const code of AACLIP_ERROR_CODES) {
      const status = AACLIP_ERROR_HTTP_STATUS[code];
      expect(status >= 500, code).toBe(code === 'internal' || code === 'unavailable');
      expect(status >= 400 && status < 600, code).toBe(true);
    }
  });

  it("wraps a programming fault as 'internal', keeping it as the cause", () => {
    const fault = new TypeError("Cannot read properties of undefined (reading 'shape')");
    const err = asAaclipError(fault, 'weights.safetensors');
    expect(err.code).toBe('internal');
    expect(err.cause).toBe(fault);
    expect(err.message).toBe("weights.safetensors: Cannot read properties of undefined (reading 'shape')");
    expect(asAaclipError(new ReferenceError('x is not defined'), 's').code).toBe('internal');
  });

  it('wraps refused input as bad-input, a missing file as not-found and a too-large file as too-large', () => {
    let parseError: unknown;
    try {
      JSON.parse('{');
    } catch (err) {
      parseError = err;
    }
    expect(asAaclipError(parseError, 'config.json').code).toBe('bad-input');
    expect(asAaclipError(new RangeError('Invalid typed array length: 99999999999'), 'f').code).toBe('bad-input');
    expect(asAaclipError(new Error('Input buffer contains unsupported image format'), 'a.png').code).toBe('bad-input');
    expect(asAaclipError('a thrown string', 'f').code).toBe('bad-input');
    expect(asAaclipError('a thrown string', 'f').cause).toBe('a thrown string');
    const missing = systemError('ENOENT', "ENOENT: no such file or directory, open 'w.safetensors'");
    expect(asAaclipError(missing, '--weights').code).toBe('not-found');
    expect(asAaclipError(missing, '--weights').cause).toBe(missing);
    expect(asAaclipError(systemError('ENOTDIR', 'ENOTDIR: not a directory'), 'd').code).toBe('not-found');
    expect(asAaclipError(systemError('ERR_FS_FILE_TOO_LARGE', 'File size (3000000000) is greater than 2 GiB'), 'f').code).toBe('too-large');
    expect(asAaclipError(systemError('EACCES', 'EACCES: permission denied'), 'f').code).toBe('bad-input');
  });

  it('keeps the code and cause of an AaclipError given a source, and keeps one that has a source as it is', () => {
    const cause = new Error('deep');
    const bare = new AaclipError('no such tensor', undefined, { code: 'not-found', cause });
    const named = asAaclipError(bare, 'model.safetensors');
    expect(named.message).toBe('model.safetensors: no such tensor');
    expect(named.code).toBe('not-found');
    expect(named.cause).toBe(cause);
    expect(asAaclipError(named, 'other')).toBe(named);
    const thrown = (() => {
      try {
        return withSource('vocab.txt.gz', () => {
          throw new AaclipError('too big', undefined, { code: 'too-large' });
        });
      } catch (err) {
        return err;
      }
    })();
    expect(thrown).toMatchObject({ code: 'too-large', message: 'vocab.txt.gz: too big' });
  });

  it('is an AaclipError to another copy of @aaclip/core, and keeps its code there', async () => {
    // A second instance of the module, as two installed copies of @aaclip/core give.
    // (The query makes Vite load the file again as another module; a variable keeps tsc from resolving it.)
    const secondCopy = '../../src/errors/aaclipError.ts?second-copy';
    const copy = (await import(secondCopy)) as typeof import('../../src/errors/aaclipError.js');
    expect(copy.AaclipError).not.toBe(AaclipError);
    const fromCopy = new copy.AaclipError('missing', 'a.png', { code: 'not-found' });
    expect(fromCopy instanceof AaclipError).toBe(true);
    expect(isAaclipError(fromCopy)).toBe(true);
    expect(new AaclipError('x') instanceof copy.AaclipError).toBe(true);
    expect(asAaclipError(fromCopy, 'b.png')).toBe(fromCopy);
    expect(new Error('plain') instanceof AaclipError).toBe(false);
    expect({ message: 'looks like one', name: 'AaclipError' } instanceof AaclipError).toBe(false);
    expect(isAaclipError(null)).toBe(false);
  });

  it('keeps the ordinary instanceof for a subclass', () => {
    class ConfigError extends AaclipError {}
    expect(new ConfigError('x') instanceof ConfigError).toBe(true);
    expect(new AaclipError('x') instanceof ConfigError).toBe(false);
    expect(new ConfigError('x') instanceof AaclipError).toBe(true);
  });
});
