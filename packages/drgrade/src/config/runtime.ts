// What a configuration's data section means at run time: the preprocessing, augmentation,
// normalisation and data-loader options. Training, evaluation, prediction, the CLI and the page
// all take them from here, so a model is fed at every stage exactly as it was trained.
import type { LoaderOptions } from '../data/loader.ts';
import type { Normalization } from '../data/normalize.ts';
import type { DataItem } from '../data/types.ts';
import type { AugmentOptions } from '../image/augment.ts';
import type { PreprocessOptions } from '../image/preprocess.ts';
import type { DrgradeConfig } from './config.ts';

/** The preprocessing a configuration trains with (and its models are graded with). */
export function preprocessOptions(config: DrgradeConfig): PreprocessOptions {
  const p = config.data.preprocess;
  return { size: config.data.imageSize, sigma: p.benGraham ? (p.sigma ?? 'radius') : null, mask: p.circleMask, crop: p.cropBorder };
}

/** The random augmentation of a configuration's training batches. */
export function augmentOptions(config: DrgradeConfig): AugmentOptions {
  const a = config.data.augment;
  return {
    resizedCrop: a.randomResizedCrop ? { scale: [a.cropScale[0]!, a.cropScale[1]!], ratio: [a.cropRatio[0]!, a.cropRatio[1]!] } : null,
    // Ben Graham's filter maps the background to grey 128: the corners an affine uncovers match it.
    affine: { degrees: a.rotation, translate: [a.translate, a.translate], scale: [a.scale[0]!, a.scale[1]!], shear: a.shear, fill: config.data.preprocess.benGraham ? 128 : 0 },
    hflip: a.hflip ? 0.5 : 0,
    vflip: a.vflip ? 0.5 : 0,
    colorJitter: a.colorJitter > 0 ? { brightness: a.colorJitter, contrast: a.colorJitter, saturation: a.colorJitter } : null,
  };
}

/** The input normalisation of a configuration's network. */
export function normalization(config: DrgradeConfig): Normalization {
  const { mean, std } = config.data.normalize;
  return { mean: [mean[0]!, mean[1]!, mean[2]!], std: [std[0]!, std[1]!, std[2]!] };
}

/** Where a loader's images come from and how many threads decode them. */
export interface LoaderSource {
  /** The files are the training cache's preprocessed images; otherwise photographs, preprocessed on load. */
  preprocessed: boolean;
  /** Decoding threads; undefined: the loader's default. */
  workers?: number;
}

/**
 * Decoding threads of a training job: the count asked for, else the configuration's (−1: the
 * loader's default). Evaluating a model file does not use the configuration's count: that was
 * chosen for the machine the model was trained on.
 */
export function trainingWorkers(config: DrgradeConfig, requested?: number): number | undefined {
  return requested ?? (config.data.workers >= 0 ? config.data.workers : undefined);
}

function loaderCommon(config: DrgradeConfig, source: LoaderSource): Pick<LoaderOptions, 'imageSize' | 'mean' | 'std' | 'preprocess' | 'workers'> {
  const { mean, std } = normalization(config);
  return { imageSize: config.data.imageSize, mean, std, preprocess: source.preprocessed ? null : preprocessOptions(config), workers: source.workers };
}

/** Shuffled, augmented batches of a fold's training images (the seed differs per fold; null: the model trained on every image). */
export function trainingLoaderOptions(config: DrgradeConfig, items: DataItem[], fold: number | null, source: LoaderSource): LoaderOptions {
  const batchSize = config.train.batchSize;
  return {
    ...loaderCommon(config, source), items, batchSize, shuffle: true, balance: config.data.balancedSampling ? 'classes' : 'none',
    augment: augmentOptions(config), seed: config.seed * 1000 + (fold ?? 999), dropLast: items.length > batchSize,
  };
}

/** The images in order, unaugmented, in evaluation batches. */
export function evaluationLoaderOptions(config: DrgradeConfig, items: DataItem[], source: LoaderSource): LoaderOptions {
  return { ...loaderCommon(config, source), items, batchSize: config.train.evalBatchSize, shuffle: false, augment: null, seed: 0 };
}
