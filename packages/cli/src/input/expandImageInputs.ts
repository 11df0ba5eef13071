import { readdir, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import path from 'node:path';
import { AaclipError } from '@aaclip/core';
import { IMAGE_EXTENSIONS, isImageName } from '@aaclip/datasets';
import { hasGlobMagic, parseGlob } from './globPattern.js';

export interface ExpandedInputs {
  /** Image paths in command-line order; a folder's or a pattern's images in natural order. */
  readonly images: string[];
  /**
   * One line per input that gave no image or could not be walked, and per special file (FIFO,
   * device, socket) a folder or pattern turned up under an image name — listed, never opened.
   */
  readonly failures: string[];
}

export interface ExpandOptions {
  /**
   * A folder never walked into: detect's --out, so that a run over a folder holding its own
   * output folder does not read an earlier run's heatmaps back as images.
   */
  readonly exclude?: string;
}

const collator = new Intl.Collator('en', { numeric: true });

/** Natural order ("2.png" before "10.png"), the same on every machine. */
const compareNames = (a: string, b: string): number => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

type Kinded = Pick<Stats, 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket'>;

function specialKind(entry: Kinded): string {
  if (entry.isFIFO()) return 'a named pipe (FIFO)';
  if (entry.isCharacterDevice()) return 'a character device';
  if (entry.isBlockDevice()) return 'a block device';
  if (entry.isSocket()) return 'a socket';
  return 'not a regular file';
}

const folderKey = (s: Stats): string => `${s.dev}:${s.ino}`;

interface Walk {
  /** Whether a file at this path relative to the walk's start is wanted. */
  readonly accept: (relative: string, name: string) => boolean;
  /** How many folder levels below the start may be entered. */
  readonly maxDepth: number;
  readonly excluded: string | null;
  readonly visited: Set<string>;
  readonly images: string[];
  readonly failures: string[];
}

/** What an entry is, links followed; null for a dangling link. */
async function entryKind(dir: string, entry: Dirent): Promise<{ kind: 'file' | 'folder' | 'special'; stats: Kinded; link: boolean } | null> {
  if (!entry.isSymbolicLink()) {
    const kind = entry.isDirectory() ? 'folder' : entry.isFile() ? 'file' : 'special';
    return { kind, stats: entry, link: false };
  }
  const target = await stat(path.join(dir, entry.name)).catch(() => null);
  if (!target) return null;
  return { kind: target.isDirectory() ? 'folder' : target.isFile() ? 'file' : 'special', stats: target, link: true };
}

/**
 * Walks `dir` (shown as `shown`) depth first in natural order. Hidden entries are left out, as a
 * shell's `*` leaves them out; links count as what they point to, and a folder reached twice (a
 * link loop) is entered once.
 */
async function walk(dir: string, shown: string, relative: string, depth: number, w: Walk): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    w.failures.push(new AaclipError(`cannot read the folder (${code})`, shown).message);
    return;
  }
  entries.sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    const show = path.join(shown, entry.name);
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    const what = await entryKind(dir, entry);
    if (what === null) {
      // A dangling link under an image name is kept: reading it reports the missing file by name.
      if (w.accept(rel, entry.name)) w.images.push(show);
    } else if (what.kind === 'folder') {
      if (depth >= w.maxDepth) continue;
      const stats = await stat(full).catch(() => null);
      if (!stats) continue;
      const key = folderKey(stats);
      if (key === w.excluded || w.visited.has(key)) continue;
      w.visited.add(key);
      await walk(full, show, rel, depth + 1, w);
    } else if (w.accept(rel, entry.name)) {
      if (what.kind === 'file') w.images.push(show);
      else w.failures.push(new AaclipError(`is ${what.link ? 'a link to ' : ''}${specialKind(what.stats)}, not a regular file; it is never read`, show).message);
    }
  }
}

async function walkFrom(start: string, accept: Walk['accept'], maxDepth: number, excluded: string | null, failures: string[]): Promise<string[]> {
  const stats = await stat(start).catch(() => null);
  if (!stats?.isDirectory()) return [];
  const w: Walk = { accept, maxDepth, excluded, visited: new Set([folderKey(stats)]), images: [], failures };
  await walk(start, start, '', 0, w);
  return w.images;
}

/**
 * The images named on a command line: a file is kept as given (reading it reports what is wrong
 * with it); a folder gives its image files (extensions {@link IMAGE_EXTENSIONS}, any depth); an
 * argument that names nothing but holds `*`, `?` or `[` is a pattern (see parseGlob) and gives the
 * image files it matches. Folders and patterns that give no image are failures, as is a special
 * file they turn up — which is listed, never opened (it could block or never end).
 */
export async function expandImageInputs(inputs: readonly string[], options: ExpandOptions = {}): Promise<ExpandedInputs> {
  const images: string[] = [];
  const failures: string[] = [];
  const excludedStats = options.exclude === undefined ? null : await stat(options.exclude).catch(() => null);
  const excluded = excludedStats?.isDirectory() ? folderKey(excludedStats) : null;
  for (const input of inputs) {
    const stats = await stat(input).catch(() => null);
    if (stats?.isDirectory()) {
      const before = failures.length;
      const found = await walkFrom(input, (_, name) => isImageName(name), Infinity, excluded, failures);
      if (found.length === 0 && failures.length === before) {
        failures.push(new AaclipError(`holds no image files (${IMAGE_EXTENSIONS.join(' ')}), sub-folders included`, input).message);
      }
      images.push(...found);
    } else if (stats === null && hasGlobMagic(input)) {
      const glob = parseGlob(input);
      const before = failures.length;
      const found = await walkFrom(glob.base, (rel, name) => isImageName(name) && glob.matches(rel), glob.maxDepth, excluded, failures);
      if (found.length === 0 && failures.length === before) {
        failures.push(new AaclipError(`no image file matches this pattern (${IMAGE_EXTENSIONS.join(' ')})`, input).message);
      }
      images.push(...found);
    } else images.push(input);
  }
  return { images, failures };
}
