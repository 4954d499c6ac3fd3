import { readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { decodeImage } from '../image/decode.ts';
import { assessGradability } from '../image/gradability.ts';
import { ImageDecodeError } from '../util/errors.ts';
import { encodeImage, type ImageFileFormat } from '../image/encode.ts';
import { preprocessFundus, type PreprocessOptions } from '../image/preprocess.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';

export interface PreprocessJob {
  src: string;
  dst: string;
  options: PreprocessOptions;
  format: ImageFileFormat;
  quality?: number;
  maxPixels?: number;
  /** Refuse photographs without a gradable fundus (training; `drgrade preprocess` keeps them). */
  gradability?: boolean;
}

/**
 * Decodes `src`, preprocesses it and writes `dst` atomically (a resumed run never finds a
 * half-written file). Returns the source size. Throws ImageDecodeError for a bad image (kind
 * 'ungradable' for one without a gradable fundus, when asked).
 */
export function preprocessFile(job: PreprocessJob): { width: number; height: number } {
  const image = decodeImage(readFileSync(job.src), job.maxPixels === undefined ? {} : { maxPixels: job.maxPixels });
  if (job.gradability) {
    const verdict = assessGradability(image);
    if (!verdict.gradable) throw new ImageDecodeError('ungradable', verdict.reason);
  }
  const out = preprocessFundus(image, job.options);
  writeFileAtomic(job.dst, encodeImage(out, job.format, job.quality), threadId);
  return { width: image.width, height: image.height };
}
