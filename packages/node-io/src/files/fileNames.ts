/** The longest file name (one path component) common file systems accept, in bytes of UTF-8. */
export const MAX_FILE_NAME_BYTES = 255;

/** The longest start of `name` that fits in `maxBytes` bytes of UTF-8, never cutting a character in half. */
export function utf8Prefix(name: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of name) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += ch.length;
  }
  return name.slice(0, end);
}
