import { createHash } from 'node:crypto';

/** Names kept as they are: ASCII letters, digits, "_", "-", "." (not first), and not too long. */
const PLAIN_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_PLAIN_LENGTH = 80;
/** How much of an escaped name stays readable before its hash. */
const READABLE_PREFIX_LENGTH = 48;

/**
 * A file-system-safe name for a class (or a picture) that no other name shares, so `a b` and `a_b`
 * get separate classes/… files and gallery/… folders. A plain name is used as it is; any other
 * (spaces, slashes, "..", non-ASCII, a leading dot, a trailing dot, too long) becomes its
 * readable part with unsafe characters as "_", then "~" and 12 hex digits of its SHA-256. Plain
 * names never contain "~", so an escaped name never equals a plain one; two escaped names differ
 * unless 48 bits of SHA-256 collide. At most 48 + 13 bytes when escaped, 80 when plain.
 * (Names that differ only in letter case, "A" and "a", stay apart on Linux but not on file
 * systems that ignore case.)
 */
export function injectiveFileStem(name: string): string {
  if (PLAIN_NAME.test(name) && name.length <= MAX_PLAIN_LENGTH && !name.endsWith('.')) return name;
  const readable = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_').slice(0, READABLE_PREFIX_LENGTH);
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 12);
  return `${readable}~${hash}`;
}
