import { AaclipError } from '@aaclip/core';

/**
 * Checks a file path from a hub listing before anything is done with it: the path names a file
 * in the cache (`snapshots/<commit>/<path>`), so a listing could otherwise make a client write
 * anywhere. Refused, on every platform: an absolute path, a Windows drive or UNC path, any
 * backslash, an empty, "." or ".." part, control characters. Returns the path unchanged.
 */
export function checkedRepoFilePath(file: string, source: string): string {
  const refuse = (why: string): never => {
    throw new AaclipError(`the hub listed an unsafe file path "${file}" (${why}); nothing was written`, source);
  };
  if (file.length === 0 || file.length > 1024) refuse('its length');
  if (file.startsWith('/')) refuse('an absolute path');
  if (file.includes('\\')) refuse('a backslash');
  if (/^[A-Za-z]:/.test(file)) refuse('a drive path');
  if ([...file].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) refuse('a control character');
  for (const part of file.split('/')) {
    if (part === '' || part === '.' || part === '..') refuse(`a "${part}" part`);
    if (Buffer.byteLength(part) > 255) refuse('a name longer than 255 bytes');
  }
  return file;
}
