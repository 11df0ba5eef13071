import path from 'node:path';

/**
 * The small glob syntax `aaclip detect` expands itself, for shells that pass patterns through
 * (Windows, or a quoted pattern): `*` (any characters within one name), `?` (one character),
 * `[abc]` / `[a-z]` / `[!a]` (one character of a set), and `**` as a whole path segment (any
 * number of folders, none included). Braces and extglobs are not supported.
 */
export interface GlobPattern {
  /** The folder the walk starts from: the pattern's leading segments without wildcards ("." when none). */
  readonly base: string;
  /** How many folder levels below `base` a match may lie: Infinity when the pattern holds `**`. */
  readonly maxDepth: number;
  /** Whether a path relative to `base` (segments joined with "/") matches. */
  matches(relative: string): boolean;
}

const MAGIC = /[*?[]/;

/** Whether a command-line argument is a pattern rather than a plain path. */
export function hasGlobMagic(arg: string): boolean {
  return MAGIC.test(arg);
}

const splitSegments = (pattern: string): string[] => pattern.split(path.sep === '\\' ? /[\\/]/ : /\//);

/** One path segment as a regular expression source (never matching "/"). */
function segmentSource(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      // Inside a class only "\", "]" and "^" need escaping; "-" keeps its range meaning.
      const escaped = body.replace(/[\\\]^]/g, '\\$&');
      out += negated ? `[^/${escaped}]` : `[${escaped}]`;
      i = close;
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return out;
}

/** Parses a pattern; the leading segments without wildcards become the folder to walk. */
export function parseGlob(pattern: string): GlobPattern {
  const segments = splitSegments(pattern);
  const firstMagic = segments.findIndex((s) => hasGlobMagic(s));
  const literal = segments.slice(0, firstMagic);
  const rest = segments.slice(firstMagic).filter((s) => s !== '');
  // "/a/*" splits into ["", "a", "*"]: an empty first segment is the root.
  const base = literal.length === 0 ? '.' : literal.length === 1 && literal[0] === '' ? path.sep : literal.join(path.sep);
  let source = '';
  rest.forEach((segment, i) => {
    const last = i === rest.length - 1;
    if (segment === '**') source += last ? '.*' : '(?:[^/]+/)*';
    else source += segmentSource(segment) + (last ? '' : '/');
  });
  const regex = new RegExp(`^${source}$`, process.platform === 'win32' ? 'i' : '');
  return {
    base,
    maxDepth: rest.includes('**') ? Infinity : rest.length - 1,
    matches: (relative) => regex.test(relative),
  };
}
