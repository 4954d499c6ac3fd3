import { open, readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { checkPixelBudget, probeImage } from '../image/probe.ts';
import { DEFAULT_MAX_PIXELS, decodeImage } from '../image/decode.ts';
import { assessGradability } from '../image/gradability.ts';
import { ImageDecodeError, errorMessage, type ImageErrorKind } from '../util/errors.ts';
import type { DataItem, DataProblem, Dataset, ProblemKind } from './types.ts';

export interface ImageCheck {
  /** Items whose file passed the check. */
  items: DataItem[];
  problems: DataProblem[];
  /** Stored sizes of the good images (same order as items). */
  sizes: { width: number; height: number }[];
}

const KIND_OF: Record<ImageErrorKind, ProblemKind> = {
  corrupt: 'corrupt-image',
  truncated: 'truncated-image',
  unsupported: 'unsupported-image',
  'too-large': 'image-too-large',
  ungradable: 'ungradable',
};

export function imageProblemKind(kind: ImageErrorKind): ProblemKind {
  return KIND_OF[kind];
}

const HEAD = 256 * 1024;
const TAIL = 64 * 1024;

/**
 * The bytes probeImage needs of a JPEG: its headers (the first 256 KB) and its end (the last
 * 64 KB, where the end-of-image marker is). Inspecting EyePACS then reads 11 GB instead of 88.
 * PNGs and small files are read whole (their chunk CRCs are checked).
 */
async function readForProbe(path: string): Promise<{ bytes: Uint8Array; size: number }> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size <= HEAD + TAIL) return { bytes: await file.readFile(), size };
    const bytes = new Uint8Array(HEAD + TAIL);
    await file.read(bytes, 0, HEAD, 0);
    if (!(bytes[0] === 0xff && bytes[1] === 0xd8)) return { bytes: await file.readFile(), size };
    await file.read(bytes, HEAD, TAIL, size - TAIL);
    return { bytes, size };
  } finally {
    await file.close();
  }
}

export interface ImageCheckOptions {
  maxPixels?: number;
  concurrency?: number;
  /** Also decode each image and assess whether it shows a gradable fundus (see gradability.ts). */
  gradability?: boolean;
  onProgress?: (done: number) => void;
}

/**
 * Reads every image's headers and structure (see probeImage), `concurrency` files at a time:
 * finds corrupt, truncated, unsupported and oversized files (including headers that claim more
 * pixels than the file holds), and collects the image sizes for `data inspect`. With
 * `gradability`, also decodes each image and lists those without a gradable fundus ('ungradable').
 */
export async function checkImages(dataset: Dataset, options: ImageCheckOptions = {}): Promise<ImageCheck> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const results: ({ width: number; height: number } | DataProblem)[] = new Array(dataset.items.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < dataset.items.length) {
      const index = next++;
      const item = dataset.items[index] as DataItem;
      const file = relative(dataset.root, item.path).split('\\').join('/');
      try {
        let info;
        try {
          const { bytes, size } = await readForProbe(item.path);
          info = probeImage(bytes, size);
        } catch {
          // Head and tail were not enough (huge metadata before the image data): read it all.
          info = probeImage(await readFile(item.path));
        }
        checkPixelBudget(info, maxPixels);
        const verdict = options.gradability ? assessGradability(decodeImage(await readFile(item.path), { maxPixels })) : null;
        results[index] = verdict && !verdict.gradable
          ? { kind: 'ungradable', severity: 'error', file, message: `${item.id}: ${verdict.reason}` }
          : { width: info.width, height: info.height };
      } catch (error) {
        const kind = error instanceof ImageDecodeError ? imageProblemKind(error.kind) : 'missing-file';
        results[index] = { kind, severity: 'error', file, message: `${item.id}: ${errorMessage(error)}` };
      }
      options.onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, worker));
  const check: ImageCheck = { items: [], problems: [], sizes: [] };
  results.forEach((result, i) => {
    if ('kind' in result) check.problems.push(result);
    else {
      check.items.push(dataset.items[i] as DataItem);
      check.sizes.push(result);
    }
  });
  return check;
}
