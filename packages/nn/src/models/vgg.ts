// VGG (Simonyan & Zisserman) with torchvision's structure and names (features.N, avgpool,
// classifier.N) so its ImageNet weights load, and the HBP and B-CNN baselines built on its
// last convolutional stage (relu5_1, relu5_2, relu5_3).
import { zeros, type Tensor } from '@drgrade/tensor';
import { fanOut, generatorOf, kaimingNormal, normal, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { ReLU } from '../layers/activation.ts';
import { BatchNorm2d } from '../layers/batchnorm.ts';
import { Sequential } from '../layers/containers.ts';
import { Conv2d } from '../layers/conv2d.ts';
import { Dropout } from '../layers/dropout.ts';
import { Linear } from '../layers/linear.ts';
import { AdaptiveAvgPool2d, MaxPool2d } from '../layers/pooling.ts';
import { BCNN } from './bcnn.ts';
import { HBP, type HeadOutput } from './hbp.ts';

/** Conv widths and 'M' (2x2 max pool), as torchvision's cfgs. */
export type VGGConfig = (number | 'M')[];

/** torchvision's configuration "D" (VGG16). */
export const VGG16_CONFIG: VGGConfig = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];

export interface VGGFeaturesOptions extends InitOptions {
  /** Layer widths (default VGG16); a narrower or shallower one gives a small test model. */
  cfg?: VGGConfig;
  /** Conv → BN → ReLU (vgg16_bn) instead of conv → ReLU. */
  batchNorm?: boolean;
}

/**
 * The features Sequential, numbered as torchvision's make_layers, and the names the VGG papers
 * use for its layers (conv5_3, relu5_3, pool5) mapped to those numbers.
 */
function vggFeatures(opts: VGGFeaturesOptions): { features: Sequential; layerIndex: Map<string, string>; channels: number } {
  const cfg = opts.cfg ?? VGG16_CONFIG;
  const g = generatorOf(opts);
  const features = new Sequential();
  const layerIndex = new Map<string, string>();
  let c = 3;
  let stage = 1;
  let conv = 1;
  const add = (paperName: string, m: Module) => { layerIndex.set(paperName, String(features.length)); features.add(String(features.length), m); };
  for (const v of cfg) {
    if (v === 'M') {
      add(`pool${stage}`, new MaxPool2d({ kernelSize: 2, stride: 2 }));
      stage++;
      conv = 1;
      continue;
    }
    // torchvision's VGG init: kaiming_normal_(mode='fan_out', nonlinearity='relu'), bias 0.
    add(`conv${stage}_${conv}`, new Conv2d(c, v, 3, { padding: 1, initWeight: (s) => kaimingNormal(s, g, fanOut(s)), initBias: (s) => zeros(s) }));
    if (opts.batchNorm) add(`bn${stage}_${conv}`, new BatchNorm2d(v));
    add(`relu${stage}_${conv}`, new ReLU());
    c = v;
    conv++;
  }
  return { features, layerIndex, channels: c };
}

/** Resolves paper layer names (relu5_3) or torchvision indices ('29') to indices in `features`. */
function resolveLayers(layerIndex: Map<string, string>, names: readonly string[]): string[] {
  return names.map((n) => {
    const i = layerIndex.get(n) ?? ([...layerIndex.values()].includes(n) ? n : undefined);
    if (i === undefined) throw new Error(`VGG: no layer '${n}' (known: ${[...layerIndex.keys()].join(', ')})`);
    return i;
  });
}

export interface VGGOptions extends VGGFeaturesOptions {
  numClasses?: number;
  /** Width of the two hidden classifier layers (default 4096). */
  classifierWidth?: number;
  dropout?: number;
}

/** torchvision's VGG: features, 7x7 adaptive average pool, three-layer classifier. */
export class VGG extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  /** Paper layer name (conv5_3, relu5_3, pool5) → index in `features`. */
  readonly layerIndex: Map<string, string>;

  constructor(opts: VGGOptions = {}) {
    super();
    const { features, layerIndex, channels } = vggFeatures(opts);
    this.layerIndex = layerIndex;
    this.features = this.registerModule('features', features);
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(7));
    const g = generatorOf(opts);
    const width = opts.classifierWidth ?? 4096;
    const p = opts.dropout ?? 0.5;
    // torchvision: Linear weights N(0, 0.01), bias 0.
    const linear = (i: number, o: number) => new Linear(i, o, { initWeight: (s) => normal(s, 0.01, g), initBias: (s) => zeros(s) });
    this.classifier = this.registerModule('classifier', new Sequential(
      linear(channels * 49, width), new ReLU(), new Dropout(p, { generator: g }),
      linear(width, width), new ReLU(), new Dropout(p, { generator: g }),
      linear(width, opts.numClasses ?? 1000),
    ));
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

/** VGG16 with torchvision's defaults; options override. */
export function vgg16(opts: VGGOptions = {}): VGG {
  return new VGG({ ...opts, cfg: opts.cfg ?? VGG16_CONFIG });
}

export interface VGGHBPOptions extends VGGFeaturesOptions {
  /** The three maps HBP combines (default relu5_1, relu5_2, relu5_3). */
  layers?: [string, string, string];
  projDim?: number;
  numClasses?: number;
  shared?: boolean;
}

/** The paper's HBP baseline: VGG features (torchvision names) and an HBP head on three relu5 maps. */
export class VGGHBP extends Module<Tensor, HeadOutput> {
  readonly features: Sequential;
  readonly hbp: HBP;
  private readonly taps: string[];

  constructor(opts: VGGHBPOptions = {}) {
    super();
    const { features, layerIndex } = vggFeatures(opts);
    this.features = this.registerModule('features', features);
    this.taps = resolveLayers(layerIndex, opts.layers ?? ['relu5_1', 'relu5_2', 'relu5_3']);
    const channels = this.taps.map((i) => tapChannels(features, i)) as [number, number, number];
    this.hbp = this.registerModule('hbp', new HBP({
      inChannels: channels, projDim: opts.projDim, numClasses: opts.numClasses, shared: opts.shared, generator: opts.generator,
    }));
  }

  forward(x: Tensor): HeadOutput {
    return this.hbp.forward(this.features.forwardCollect(x, this.taps));
  }
}

export interface VGGBCNNOptions extends VGGFeaturesOptions {
  /** The map pooled (default relu5_3). */
  layer?: string;
  numClasses?: number;
}

/** The paper's B-CNN baseline: VGG features and bilinear pooling of relu5_3. */
export class VGGBCNN extends Module<Tensor, HeadOutput> {
  readonly features: Sequential;
  readonly bcnn: BCNN;
  private readonly tap: string;

  constructor(opts: VGGBCNNOptions = {}) {
    super();
    const { features, layerIndex } = vggFeatures(opts);
    this.features = this.registerModule('features', features);
    this.tap = resolveLayers(layerIndex, [opts.layer ?? 'relu5_3'])[0]!;
    this.bcnn = this.registerModule('bcnn', new BCNN({ inChannels: tapChannels(features, this.tap), numClasses: opts.numClasses, generator: opts.generator }));
  }

  forward(x: Tensor): HeadOutput {
    return this.bcnn.forward(this.features.forwardCollect(x, [this.tap])[0]!);
  }
}

/** Channels of the output of features[index]: those of the last conv at or before it. */
function tapChannels(features: Sequential, index: string): number {
  for (let i = Number(index); i >= 0; i--) {
    const m = features.get(String(i));
    if (m instanceof Conv2d) return m.outChannels;
  }
  return 3;
}
