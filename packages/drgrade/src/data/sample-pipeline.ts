import { readFileSync } from 'node:fs';
import { augment, type AugmentOptions } from '../image/augment.ts';
import { decodeImage } from '../image/decode.ts';
import { preprocessFundus, type PreprocessOptions } from '../image/preprocess.ts';
import { resize } from '../image/resize.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { ImageDecodeError, UserError, errorMessage } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { writeNormalizedChw, type Normalization } from './normalize.ts';

/** Everything that turns an image file into a network input; the same on every thread. */
export interface SampleConfig extends Normalization {
  /** Network input side in pixels. */
  size: number;
  /** Preprocess after decoding (null: the files are already preprocessed). */
  preprocess: PreprocessOptions | null;
  /** Random augmentation (null: deterministic resize only, for validation). */
  augment: AugmentOptions | null;
  maxPixels?: number;
}

/** ImageNet statistics, what pretrained backbones expect. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** size x size RGB image after preprocessing and augmentation with the given seed. */
export function prepareImage(bytes: Uint8Array, seed: number, config: SampleConfig): RgbImage {
  let image = decodeImage(bytes, config.maxPixels === undefined ? {} : { maxPixels: config.maxPixels });
  if (config.preprocess) image = preprocessFundus(image, config.preprocess);
  return config.augment ? augment(image, new Rng(seed), config.size, config.augment) : resize(image, config.size, config.size);
}

/** One network input, (3, size, size) float32, from an image file's bytes. */
export function loadSample(bytes: Uint8Array, seed: number, config: SampleConfig): Float32Array {
  const image = prepareImage(bytes, seed, config);
  const out = new Float32Array(3 * config.size * config.size);
  writeNormalizedChw(image, config.mean, config.std, out);
  return out;
}

/**
 * loadSample on a file. An unreadable or undecodable file becomes a UserError naming it: by
 * training time the data set has been checked, so this is a file that changed or a decoder
 * limit, and the message must say which file.
 */
export function loadSampleFile(path: string, seed: number, config: SampleConfig): Float32Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${errorMessage(error)}`);
  }
  try {
    return loadSample(bytes, seed, config);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw new UserError(`${path}: ${error.message}`);
    throw error;
  }
}
