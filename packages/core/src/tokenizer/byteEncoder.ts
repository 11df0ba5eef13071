// GPT-2 / CLIP byte-level BPE works on text where every byte is one printable character: bytes that
// are printable Latin-1 ('!'…'~', '¡'…'¬', '®'…'ÿ') stand for themselves, the other 68 bytes are
// mapped, in order, to U+0100, U+0101, … so that no byte becomes whitespace or a control character.

function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(printable(b) ? b : 256 + next++);
  }
  return table;
}

/** byte → its stand-in character. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/**
 * The 256 stand-in characters in the order CLIP numbers its first vocabulary entries: the printable
 * bytes in byte order, then the remapped ones in byte order.
 */
export function byteAlphabet(): string[] {
  const chars = [...BYTE_TO_CHAR];
  return chars.sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0));
}

const utf8 = new TextEncoder();

/** The UTF-8 bytes of `text`, each replaced by its stand-in character. */
export function encodeBytesAsChars(text: string): string {
  let out = '';
  for (const byte of utf8.encode(text)) out += BYTE_TO_CHAR[byte]!;
  return out;
}
