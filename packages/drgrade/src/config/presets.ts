// Shipped configurations: one per row of the paper's Tables 1–2, plus `tiny`.
import type { DrgradeConfig } from './config.ts';
import { merge } from './schema.ts';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object | null ? DeepPartial<T[K]> | T[K] : T[K] };

/** The paper's method, hbp-dsod-fl-or-ml: DenseNet169 (DSOD) + FPN + HBP, focal on SORD + SoftTriple. */
export const PAPER: DrgradeConfig = {
  name: 'hbp-dsod-fl-or-ml',
  description: 'The paper\'s method: DSOD (DenseNet169) + FPN + HBP, focal loss on SORD labels + SoftTriple (α = β = 0.5)',
  seed: 0,
  data: {
    imageSize: 512,
    preprocess: { cropBorder: true, benGraham: true, sigma: 10, circleMask: false },
    augment: {
      randomResizedCrop: true, cropScale: [0.8, 1], cropRatio: [0.9, 1.1],
      rotation: 180, translate: 0.05, scale: [0.95, 1.05], shear: 5,
      hflip: true, vflip: true, colorJitter: 0,
    },
    normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    balancedSampling: false,
    workers: -1,
  },
  model: {
    type: 'densenet-fpn-hbp',
    numClasses: 5,
    densenet: { growthRate: 32, blockConfig: [6, 12, 32, 32], numInitFeatures: 64, bnSize: 4, stem: 'dsod', poolLastTransitions: false, dropRate: 0, memoryEfficient: false },
    vgg: { widthDivisor: 1 },
    fpn: { channels: 256 },
    hbp: { dim: 8192, grid: 'coarsest' },
    resnet: { depth: 50, widthDivisor: 1 },
    dfl: { k: 10, initPatches: 3 },
    pmg: { featureSize: 512, granularities: [8, 4, 2] },
    agNet: { auxWeight: 0.3, widthDivisor: 1 },
    embeddingDim: 64,
  },
  loss: {
    classification: 'focal',
    classificationWeight: 0.5,
    gamma: 2,
    classWeights: null,
    sord: { enabled: true, phi: 'squared', scale: 1 },
    metric: { weight: 0.5, la: 20, gamma: 0.1, tau: 0.2, margin: 0.01, K: 10, warmupEpochs: 0, centersLrMultiplier: 1 },
  },
  optim: {
    type: 'sgd', lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 1e-4, headLrMultiplier: 1,
    schedule: { type: 'step', stepSize: 50, gamma: 0.1, milestones: [], warmupEpochs: 0 },
  },
  train: { epochs: 150, batchSize: 32, evalBatchSize: 32, folds: 5, tta: false, gradcamImages: 4, selection: 'validation', validationFraction: 0.15, precision: 'float32', ema: 0 },
};

const noMetric = { weight: 0 };
const ce = { classification: 'ce' as const, classificationWeight: 1, sord: { enabled: false }, metric: noMetric };
const vgg = { type: 'vgg16-hbp' as const, hbp: { dim: 8192, grid: 'coarsest' as const } };

const rows: Record<string, DeepPartial<DrgradeConfig>> = {
  'hbp-vgg16': { name: 'hbp-vgg16', description: 'Baseline: HBP on VGG16 (relu5_1/5_2/5_3), cross-entropy', model: vgg, loss: ce },
  'bcnn-vgg16': { name: 'bcnn-vgg16', description: 'Baseline: B-CNN on VGG16 relu5_3, cross-entropy', model: { type: 'vgg16-bcnn' }, loss: ce },
  // Table 1's other rows, trained with the paper's schedule and cross-entropy as the two baselines above.
  'dfl-resnet50': {
    name: 'dfl-resnet50', description: 'Table 1: DFL on ResNet50 (filter bank on conv4_x, initialised from peak patches; G-Stream, P-Stream and side branch), cross-entropy',
    model: { type: 'resnet-dfl', resnet: { depth: 50 } }, loss: ce,
  },
  'pmg-resnet50': {
    name: 'pmg-resnet50', description: 'Table 1: PMG on ResNet50 (stage 3-5 classifiers trained progressively on 8x8, 4x4, 2x2 jigsaws, then the concatenation), cross-entropy',
    model: { type: 'resnet-pmg', resnet: { depth: 50 } }, loss: ce,
  },
  'ag-net': {
    name: 'ag-net', description: 'Table 1: AG_Net, AlexNet and GoogLeNet (auxiliary classifiers in training) trained as graders, probabilities averaged, cross-entropy. On adapters that bind less than AlexNet\'s 9216x4096 classifier weight (144 MiB; CPU adapters and browsers bind 128 MiB) that weight is held in row shards',
    model: { type: 'alexnet-googlenet' }, loss: ce,
  },
  'hbp-dsod-ce': { name: 'hbp-dsod-ce', description: 'HBP on DSOD + FPN, cross-entropy', loss: ce },
  'hbp-dsod-fl': { name: 'hbp-dsod-fl', description: 'HBP on DSOD + FPN, focal loss', loss: { classificationWeight: 1, sord: { enabled: false }, metric: noMetric } },
  'hbp-dsod-fl-or': { name: 'hbp-dsod-fl-or', description: 'HBP on DSOD + FPN, focal loss on SORD labels', loss: { classificationWeight: 1, metric: noMetric } },
  'hbp-dsod-fl-or-ml': {},
  // Chosen by 5-fold cross-validation on 348 real photographs (docs/real-data.md): from scratch on a
  // few hundred photographs, heavy augmentation kept every network from fitting; with flips alone
  // and AdamW the paper's head and loss learned more than a plain DenseNet, each of the paper's
  // loss terms added to the fold mean, and SoftTriple held (no collapse) at a tenth of the loss,
  // switched on after ten epochs (at half the loss from the first step it collapsed every fold).
  // Evaluation averages over the flips it trained with: on two cross-validations re-scored both
  // ways (this recipe with seed 1, and the first, smaller preset) flips raised kappa in 4 of 5 folds
  // each, and the mean by 0.02 and 0.06, at no cost in referable-DR sensitivity.
  // 45 epochs, not 30: two seeds of the 45-epoch schedule each scored above every 30-epoch seed on
  // the same folds without losing referable-DR sensitivity, and their ensemble above the 30-epoch
  // ensemble (the 30-epoch runs stopped improving when the cosine schedule's learning rate was
  // spent, still fitting their training folds).
  real: {
    name: 'real',
    description: 'From scratch on a small real fundus set: the paper\'s DenseNet-FPN-HBP (growth 16, blocks 4-4-4-4) at 128 px, 0.9 focal on SORD labels + 0.1 SoftTriple after 10 epochs, flips only, AdamW, 45 epochs; graded with test-time flips (docs/real-data.md)',
    data: {
      imageSize: 128, preprocess: { sigma: 3 },
      augment: { randomResizedCrop: false, cropScale: [0.85, 1], rotation: 0, translate: 0, scale: [1, 1], shear: 0, hflip: true, vflip: true, colorJitter: 0 },
      workers: 1,
    },
    model: {
      densenet: { growthRate: 16, blockConfig: [4, 4, 4, 4], numInitFeatures: 32, bnSize: 4, stem: 'dsod', poolLastTransitions: true, dropRate: 0 },
      fpn: { channels: 64 },
      hbp: { dim: 256, grid: 'coarsest' },
      embeddingDim: 64,
    },
    loss: { classificationWeight: 0.9, metric: { weight: 0.1, la: 10, K: 3, warmupEpochs: 10 } },
    optim: { type: 'adamw', lr: 0.001, weightDecay: 1e-4, schedule: { type: 'cosine', warmupEpochs: 2 } },
    train: { epochs: 45, batchSize: 16, evalBatchSize: 32, gradcamImages: 2, selection: 'last', tta: true },
  },
  tiny: {
    name: 'tiny',
    description: 'A small DenseNet-FPN-HBP at 128x128 with the paper\'s loss, for CPU adapters and the synthetic data set',
    data: { imageSize: 128, preprocess: { sigma: 3 }, augment: { rotation: 30, cropScale: [0.85, 1], translate: 0.03 }, workers: 2 },
    model: {
      // Sized for a 2-core CPU adapter: there the 64x64 stem maps, not the FLOPs, set the pace
      // (a training step ran 2.3x faster than with growth 16, blocks (4,4,4,4), 32 initial features).
      densenet: { growthRate: 12, blockConfig: [3, 3, 3, 3], numInitFeatures: 16, bnSize: 4, stem: 'dsod', poolLastTransitions: true, dropRate: 0 },
      fpn: { channels: 32 },
      hbp: { dim: 128, grid: 'coarsest' },
      embeddingDim: 64,
    },
    loss: { metric: { K: 3, la: 10, warmupEpochs: 2 } },
    optim: { lr: 0.01, schedule: { type: 'cosine', warmupEpochs: 1 } },
    train: { epochs: 8, batchSize: 16, evalBatchSize: 32, gradcamImages: 4, selection: 'last' },
  },
};

export const PRESET_NAMES = Object.keys(rows);

export function preset(name: string): DrgradeConfig | null {
  const over = rows[name];
  return over ? merge(PAPER, over) : null;
}
