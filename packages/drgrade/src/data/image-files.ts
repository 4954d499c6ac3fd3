import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';

/** Extensions drgrade can decode. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'] as const;

export function isImageName(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

/** Name without an image extension (`IDRiD_001.jpg` → `IDRiD_001`; other dots are kept). */
export function imageStem(name: string): string {
  return isImageName(name) ? name.slice(0, -extname(name).length) : name;
}

/** True when `path` lies inside `root` (lexically: no `..` escape, no other drive). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export type Located =
  | { ok: true; path: string }
  | { ok: false; kind: 'missing-file' | 'outside-root' | 'duplicate' | 'unsupported-image'; message: string; candidates?: string[] };

interface Listing {
  byName: Map<string, string[]>;
  byStem: Map<string, string[]>;
  images: string[];
  /** Other files by lower-case stem, to say "found x.tif, but ..." instead of "not found". */
  others: Map<string, string>;
}

/**
 * Finds labelled images on disk. Label files name images in many ways (with or without an
 * extension, Windows separators, other letter case), and a preprocessed copy may have changed
 * the extension (.jpg → .png), so lookup falls back from the exact name to a case-insensitive
 * name to the stem. Directory listings are cached: one readdir per folder, not per image.
 */
export class ImageLocator {
  private readonly listings = new Map<string, Listing | null>();
  private readonly realRoot: string;

  constructor(readonly root: string) {
    this.realRoot = realpathSync(root);
  }

  /** Resolves `name` (relative to `dir`) to an existing image file inside the root. */
  locate(dir: string, name: string): Located {
    const target = resolve(dir, name.replace(/\\/g, '/'));
    if (!isInside(this.root, target)) {
      return { ok: false, kind: 'outside-root', message: `"${name}" points outside the data-set folder` };
    }
    const listing = this.listing(dirname(target));
    const base = basename(target);
    const candidates = listing ? this.match(listing, base) : [];
    if (candidates.length === 0) {
      const other = listing?.others.get(imageStem(base).toLowerCase()) ?? listing?.others.get(base.toLowerCase().replace(/\.[^.]*$/, ''));
      if (other) return { ok: false, kind: 'unsupported-image', message: `found ${other}, but only JPEG and PNG files can be read` };
      return { ok: false, kind: 'missing-file', message: `image "${name}" not found in ${this.rel(dirname(target)) || '.'}` };
    }
    if (candidates.length > 1) {
      return { ok: false, kind: 'duplicate', message: `"${name}" matches several files: ${candidates.join(', ')}`, candidates: candidates.map((c) => join(dirname(target), c)) };
    }
    const path = join(dirname(target), candidates[0] as string);
    // A symbolic link may lead out of the data set even when its name does not.
    if (!isInside(this.realRoot, realpathSync(path))) {
      return { ok: false, kind: 'outside-root', message: `"${name}" is a link to a file outside the data-set folder` };
    }
    return { ok: true, path };
  }

  private match(listing: Listing, base: string): string[] {
    const lower = base.toLowerCase();
    const exact = listing.byName.get(lower);
    if (exact) return exact.includes(base) ? [base] : exact;
    return listing.byStem.get(imageStem(base).toLowerCase()) ?? [];
  }

  /** Image files directly inside `dir` (absolute paths, sorted); [] if it does not exist. */
  imagesIn(dir: string): string[] {
    return (this.listing(dir)?.images ?? []).map((name) => join(dir, name));
  }

  /** Path relative to the root with forward slashes, for messages and ids. */
  rel(path: string): string {
    return relative(this.root, path).split('\\').join('/');
  }

  private listing(dir: string): Listing | null {
    const cached = this.listings.get(dir);
    if (cached !== undefined) return cached;
    let listing: Listing | null = null;
    try {
      const names = readdirSync(dir).sort();
      listing = { byName: new Map(), byStem: new Map(), images: [], others: new Map() };
      for (const name of names) {
        if (name.startsWith('.')) continue;
        if (!isImageName(name)) {
          listing.others.set(name.toLowerCase().replace(/\.[^.]*$/, ''), name);
          continue;
        }
        listing.images.push(name);
        push(listing.byName, name.toLowerCase(), name);
        push(listing.byStem, imageStem(name).toLowerCase(), name);
      }
    } catch {
      listing = null;
    }
    this.listings.set(dir, listing);
    return listing;
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Sub-folders of `dir` (names, sorted); [] if it is not a readable folder. */
export function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDirectory(join(dir, e.name))))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** First entry of `dir` whose name matches `pattern` (sorted order), as an absolute path. */
export function findEntry(dir: string, pattern: RegExp, kind: 'file' | 'folder'): string | null {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return null;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (pattern.test(name) && (kind === 'file' ? isFile(path) : isDirectory(path))) return path;
  }
  return null;
}
