// Shared helpers of the drgrade data tests: locating the repository and its fixtures, temporary
// data-set folders, comparing images. Tests are bundled into build/test/node/, so paths are
// found from the working directory, not from this file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decodeImage, encodeJpeg, encodePng, createImage, type RgbImage } from 'drgrade';

/** The repository root: the nearest folder upwards from cwd whose package.json is the monorepo's. */
export function repoRoot(): string {
  let dir = process.cwd();
  while (true) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'drgrade-monorepo') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('run the tests from inside the drgrade repository');
    dir = parent;
  }
}

/** The eleven real photographs in IDRiD layout (test/fixtures/fundus-sample; read-only). */
export function sampleRoot(): string {
  return join(repoRoot(), 'test', 'fixtures', 'fundus-sample');
}

export const SAMPLE_IMAGES = join('B. Disease Grading', '1. Original Images', 'a. Training Set');

export function fixture(name: string): string {
  return join(repoRoot(), 'test', 'fixtures', 'data', 'pipeline', name);
}

export function readFixtureImage(name: string): RgbImage {
  return decodeImage(readFileSync(fixture(name)));
}

export function readFixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(fixture(name), 'utf8')) as T;
}

export function tempDir(prefix = 'drgrade-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a file, creating its folders. */
export function put(root: string, rel: string, data: string | Uint8Array): string {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
}

/** A small distinct image (a colour derived from `n`) as PNG or JPEG bytes. */
export function tinyImage(n: number, format: 'png' | 'jpg' = 'png', size = 12): Uint8Array {
  const image = createImage(size, size, [(n * 37) % 256, (n * 91) % 256, 60 + (n % 100)]);
  return format === 'png' ? encodePng(image) : encodeJpeg(image, 90);
}

export interface ImageDiff {
  mean: number;
  max: number;
  /** Fraction of samples that differ by more than 1 grey level. */
  over1: number;
}

export function compareImages(a: RgbImage, b: RgbImage): ImageDiff {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  let sum = 0;
  let max = 0;
  let over = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs((a.data[i] as number) - (b.data[i] as number));
    sum += d;
    if (d > max) max = d;
    if (d > 1) over++;
  }
  return { mean: sum / a.data.length, max, over1: over / a.data.length };
}

/** Collects what a CLI command writes. */
export function captureContext(cwd = process.cwd()): { stdout: { write(s: string): boolean; text: string }; stderr: { write(s: string): boolean; text: string; isTTY: boolean }; cwd: string } {
  const stdout = { text: '', write(s: string) { this.text += s; return true; } };
  const stderr = { text: '', isTTY: false, write(s: string) { this.text += s; return true; } };
  return { stdout, stderr, cwd };
}

/**
 * Bundles every worker entry (packages/drgrade/src/workers/*.ts) from the current sources into
 * build/test/drgrade-workers/<name>.js, as scripts/build.mjs does for dist/, so tests never run
 * a stale build. Returns the folder (usable as DRGRADE_WORKER_DIR).
 */
export function buildWorkers(): string {
  const root = repoRoot();
  const src = join(root, 'packages', 'drgrade', 'src', 'workers');
  const outDir = join(root, 'build', 'test', 'drgrade-workers');
  mkdirSync(outDir, { recursive: true });
  const entries = readdirSync(src).filter((f) => f.endsWith('.ts')).map((f) => join(src, f));
  execFileSync(join(root, 'node_modules', '.bin', 'esbuild'), [
    ...entries, '--bundle', '--platform=node', '--format=esm', `--outdir=${outDir}`,
    '--external:pngjs', '--external:jpeg-js', '--log-level=warning',
  ]);
  return outDir;
}
