// drgrade's training configuration: every hyper-parameter of the paper and docs/reference.md is a
// field. Defaults are the paper's method (row hbp-dsod-fl-or-ml of Tables 1–2).
import type { Spec } from './schema.ts';

export type ModelType = 'densenet' | 'densenet-fpn-hbp' | 'vgg16-hbp' | 'vgg16-bcnn' | 'resnet-dfl' | 'resnet-pmg' | 'alexnet-googlenet';

export interface DrgradeConfig {
  name: string;
  description: string;
  seed: number;
  data: {
    imageSize: number;
    preprocess: { cropBorder: boolean; benGraham: boolean; sigma: number | null; circleMask: boolean };
    augment: {
      randomResizedCrop: boolean; cropScale: number[]; cropRatio: number[];
      rotation: number; translate: number; scale: number[]; shear: number;
      hflip: boolean; vflip: boolean; colorJitter: number;
    };
    normalize: { mean: number[]; std: number[] };
    balancedSampling: boolean;
    workers: number;
  };
  model: {
    type: ModelType;
    numClasses: number;
    densenet: { growthRate: number; blockConfig: number[]; numInitFeatures: number; bnSize: number; stem: 'torchvision' | 'dsod'; poolLastTransitions: boolean; dropRate: number; memoryEfficient: boolean };
    vgg: { widthDivisor: number };
    fpn: { channels: number };
    hbp: { dim: number; grid: 'coarsest' | 'finest' };
    resnet: { depth: 18 | 34 | 50 | 101; widthDivisor: number };
    dfl: { k: number; initPatches: number };
    pmg: { featureSize: number; granularities: number[] };
    agNet: { auxWeight: number; widthDivisor: number };
    embeddingDim: number;
  };
  loss: {
    classification: 'ce' | 'focal';
    classificationWeight: number;
    gamma: number;
    classWeights: number[] | null;
    sord: { enabled: boolean; phi: 'squared' | 'absolute'; scale: number };
    metric: { weight: number; la: number; gamma: number; tau: number; margin: number; K: number; warmupEpochs: number; centersLrMultiplier: number };
  };
  optim: {
    type: 'sgd' | 'adam' | 'adamw';
    lr: number; momentum: number; nesterov: boolean; weightDecay: number; headLrMultiplier: number;
    schedule: { type: 'step' | 'multistep' | 'cosine' | 'constant'; stepSize: number; gamma: number; milestones: number[]; warmupEpochs: number };
  };
  train: {
    epochs: number; batchSize: number; evalBatchSize: number; folds: number; tta: boolean; gradcamImages: number;
    selection: 'validation' | 'last'; validationFraction: number; precision: 'float32' | 'mixed'; ema: number;
  };
}

const num = (doc: string, min?: number, max?: number, integer?: boolean): Spec => ({ kind: 'number', doc, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}), ...(integer ? { integer } : {}) });
const int = (doc: string, min?: number, max?: number): Spec => num(doc, min, max, true);
const bool = (doc: string): Spec => ({ kind: 'boolean', doc });
const str = (doc: string, values?: readonly string[]): Spec => ({ kind: 'string', doc, ...(values ? { values } : {}) });
const nums = (doc: string, length?: number, integer?: boolean): Spec => ({ kind: 'numbers', doc, ...(length !== undefined ? { length } : {}), ...(integer ? { integer } : {}) });
const obj = (doc: string, fields: Record<string, Spec>): Spec => ({ kind: 'object', doc, fields });

export const CONFIG_SPEC: Spec = obj('drgrade training configuration', {
  name: str('Configuration name (reported in runs)'),
  description: str('One line saying what the configuration is'),
  seed: int('Seed of every random choice: initialisation, folds, shuffling, augmentation', 0),
  data: obj('Images', {
    imageSize: int('Side of the square network input in pixels (paper: 512)', 16, 4096),
    preprocess: obj('Preprocessing applied once and cached', {
      cropBorder: bool('Crop the black border (gray > 7 bounding box)'),
      benGraham: bool('Ben Graham: 4·img − 4·GaussianBlur(img, σ) + 128'),
      sigma: { kind: 'nullable', inner: num('σ of the blur in pixels at imageSize', 0.1), doc: 'Blur σ at imageSize; null scales it with the fundus radius (radius/30, Ben Graham\'s original)' },
      circleMask: bool('Set everything outside 0.9·radius to grey 128'),
    }),
    augment: obj('Training augmentation', {
      randomResizedCrop: bool('Random resized crop'),
      cropScale: nums('Area fraction range of the crop', 2),
      cropRatio: nums('Aspect ratio range of the crop', 2),
      rotation: num('Maximum rotation in degrees (random affine)', 0, 180),
      translate: num('Maximum translation as a fraction of the size', 0, 1),
      scale: nums('Scale range of the random affine', 2),
      shear: num('Maximum shear in degrees', 0, 90),
      hflip: bool('Random horizontal flip'),
      vflip: bool('Random vertical flip'),
      colorJitter: num('Brightness/contrast/saturation jitter strength (0 = off)', 0, 1),
    }),
    normalize: obj('Input normalisation', { mean: nums('Per-channel mean (0..1 scale)', 3), std: nums('Per-channel std (0..1 scale)', 3) }),
    balancedSampling: bool('Sample training images with equal probability per grade'),
    workers: int('Decoding/augmentation worker threads (0 = in the main thread; -1 = all cores)', -1, 64),
  }),
  model: obj('Network', {
    type: str('Architecture', ['densenet', 'densenet-fpn-hbp', 'vgg16-hbp', 'vgg16-bcnn', 'resnet-dfl', 'resnet-pmg', 'alexnet-googlenet']),
    numClasses: int('Number of grades', 2, 100),
    densenet: obj('DenseNet backbone (torchvision DenseNet169: 32, [6, 12, 32, 32], 64, 4)', {
      growthRate: int('Growth rate k', 1),
      blockConfig: nums('Layers per dense block', undefined, true),
      numInitFeatures: int('Channels after the stem', 1),
      bnSize: int('Bottleneck width multiplier (1x1 conv to bnSize·k)', 1),
      stem: str('Stem: torchvision (7x7/2 conv + max pool) or dsod (three 3x3 convs + max pool)', ['torchvision', 'dsod']),
      poolLastTransitions: bool('Average-pool in the last transitions (false keeps deep maps large, as DSOD)'),
      dropRate: num('Dropout after each dense layer', 0, 1),
      memoryEfficient: bool('Recompute each dense layer\'s BN-ReLU-1x1 conv-BN-ReLU in backward instead of keeping it (torchvision\'s memory_efficient; same results, less memory, the 1x1 convs run twice)'),
    }),
    vgg: obj('VGG16 backbone', { widthDivisor: int('Divide every VGG16 width by this (1 = VGG16; >1 for small tests)', 1) }),
    fpn: obj('Feature pyramid', { channels: int('Channels of the pyramid levels (paper: 256)', 1) }),
    hbp: obj('Hierarchical bilinear pooling head', {
      dim: int('Projection dimension D (paper: 8192)', 1),
      grid: str('Common grid the three maps are resized to', ['coarsest', 'finest']),
    }),
    resnet: obj('ResNet backbone of resnet-dfl and resnet-pmg (torchvision\'s)', {
      depth: int('Depth: 18, 34, 50 (the paper\'s DFL and PMG rows) or 101', 18, 101),
      widthDivisor: int('Divide every ResNet width by this (1 = torchvision\'s; >1 for small tests)', 1),
    }),
    dfl: obj('DFL head (Wang et al., CVPR 2018) on conv4_x (layer3)', {
      k: int('Patch detectors per class (the paper: 10)', 1),
      initPatches: int('Non-random initialisation: peak patches per training image whose per-class k-means centres become the filters (0 = random filters)', 0),
    }),
    pmg: obj('PMG head and progressive training (Du et al., ECCV 2020)', {
      featureSize: int('Width of the conv blocks\' 1x1 conv and of the classifiers\' hidden layer (official: 512)', 1),
      granularities: nums('Jigsaw tiles per side of the three stage classifiers\' steps, before the whole-image step of the concatenated classifier (official: 8, 4, 2)', 3, true),
    }),
    agNet: obj('AG_Net: AlexNet and GoogLeNet (torchvision\'s, their dropout) trained as graders, probabilities averaged', {
      auxWeight: num('Weight of each GoogLeNet auxiliary classifier\'s loss (GoogLeNet paper: 0.3)', 0),
      widthDivisor: int('Divide every AlexNet and GoogLeNet width by this (1 = torchvision\'s; >1 for small tests)', 1),
    }),
    embeddingDim: int('Dimension of the embedding the metric loss sees (a linear layer on the HBP vector)', 1),
  }),
  loss: obj('Objective: L = metric.weight·SoftTriple + classificationWeight·classification', {
    classification: str('Classification loss', ['ce', 'focal']),
    classificationWeight: num('β, weight of the classification loss', 0),
    gamma: num('Focal loss γ', 0),
    classWeights: { kind: 'nullable', inner: nums('Per-grade weights'), doc: 'Per-grade weights of the focal loss, or null' },
    sord: obj('Ordinal soft labels (SORD)', {
      enabled: bool('Use SORD soft targets instead of one-hot'),
      phi: str('Distance φ', ['squared', 'absolute']),
      scale: num('α of SORD', 0),
    }),
    metric: obj('SoftTriple metric loss', {
      weight: num('α, weight of SoftTriple (0 = off)', 0),
      la: num('λ, logit scale', 0),
      gamma: num('γ, temperature over centres', 1e-6),
      tau: num('τ, centre regulariser weight', 0),
      margin: num('δ, margin', 0),
      K: int('Centres per class', 1),
      warmupEpochs: int('Epochs trained without the metric term first', 0),
      centersLrMultiplier: num('Learning-rate multiplier of the centres', 0),
    }),
  }),
  optim: obj('Optimiser', {
    type: str('Optimiser', ['sgd', 'adam', 'adamw']),
    lr: num('Learning rate', 0),
    momentum: num('SGD momentum', 0, 1),
    nesterov: bool('Nesterov momentum'),
    weightDecay: num('Weight decay', 0),
    headLrMultiplier: num('Learning-rate multiplier of the head (HBP projections and classifier; DFL\'s and PMG\'s heads)', 0),
    schedule: obj('Learning-rate schedule (epochs)', {
      type: str('Schedule', ['step', 'multistep', 'cosine', 'constant']),
      stepSize: int('Epochs between decays (step)', 1),
      gamma: num('Decay factor', 0),
      milestones: nums('Epochs at which to decay (multistep)', undefined, true),
      warmupEpochs: int('Linear warm-up epochs', 0),
    }),
  }),
  train: obj('Training', {
    epochs: int('Epochs', 1),
    batchSize: int('Batch size', 1),
    evalBatchSize: int('Batch size for validation and prediction', 1),
    folds: int('Cross-validation folds', 2),
    tta: bool('Test-time flips (average over horizontal and vertical flips) in the held-out evaluation; a model file keeps it, and predict, eval and the page then use flips by default'),
    gradcamImages: int('Validation images with Grad-CAM overlays in the report', 0),
    selection: str('Which epoch\'s model a fold reports and ships: the best kappa on a validation split carved from the training folds (patients grouped, grades stratified), or the last epoch (a fixed schedule). Never the held-out fold', ['validation', 'last']),
    validationFraction: num('Share of the training folds\' patients held apart for selection: validation', 0.05, 0.5),
    ema: num('Moving average of the weights: its decay per optimiser step, 0 for none. With it, each epoch\'s evaluation, the selected model and the model file are the average (batch-norm statistics averaged too), and the trained weights\' held-out kappa is kept beside it in the history (rawValKappa). The decay warms up as min(ema, (1 + t) / (10 + t)) over the first steps', 0, 0.99999),
    precision: str('float32, or mixed: convolutions and linear layers in float16 from float32 master weights, losses in float32, dynamic loss scaling (PyTorch\'s autocast and GradScaler); needs an adapter with shader-f16. Weights and checkpoints stay float32; evaluation runs in float32', ['float32', 'mixed']),
  }),
});
