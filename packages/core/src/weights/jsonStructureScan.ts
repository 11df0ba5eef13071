// A linear, non-recursive pass over JSON text that finds what JSON.parse hides: how deep the
// values nest (a later recursive walk of a 100k-deep value overflows the stack) and keys that
// repeat within one object (JSON.parse silently keeps the last).

export type JsonStructureFinding =
  | { kind: 'tooDeep'; depth: number }
  | { kind: 'duplicateKey'; key: string; path: readonly string[] };

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Index just past the string literal that opens at `start` (a '"'), or text.length if unterminated. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2; // backslash: skip the escaped character
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return text.length;
}

function nextNonWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && WHITESPACE.has(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Scans `text` (meant to be valid JSON; on invalid text the answer is a best effort and JSON.parse
 * is the judge) and returns the first problem: nesting past `maxDepth` (an object or array is one
 * level), or the first key that appears twice in one object, with the keys leading to that object.
 * Keys are compared after unescaping ("a" and "\u0061" are the same key). Returns null if neither.
 */
export function scanJsonStructure(text: string, maxDepth: number): JsonStructureFinding | null {
  // One frame per open container: the keys seen so far (objects) or null (arrays), and the key
  // under which the container sits in its parent object.
  const frames: { keys: Set<string> | null; key: string }[] = [];
  let pendingKey = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      if (frames.length >= maxDepth) return { kind: 'tooDeep', depth: frames.length + 1 };
      frames.push({ keys: c === 0x7b ? new Set() : null, key: pendingKey });
      pendingKey = '';
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      frames.pop();
      pendingKey = '';
      i++;
    } else if (c === 0x22) {
      const end = stringEnd(text, i);
      const keys = frames[frames.length - 1]?.keys;
      const after = nextNonWhitespace(text, end);
      if (keys && text.charCodeAt(after) === 0x3a) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end)) as string;
        } catch {
          return null; // not valid JSON: JSON.parse will say so
        }
        if (keys.has(key)) return { kind: 'duplicateKey', key, path: frames.slice(1).map((f) => f.key) };
        keys.add(key);
        pendingKey = key;
        i = after + 1;
      } else {
        i = end;
      }
    } else {
      i++;
    }
  }
  return null;
}
